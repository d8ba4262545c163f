"""`plantdesk simulate`: a scripted, reproducible stream of plant alarms against the demo plant (issue 5).

`scenario` writes the script (pure, seeded), `sparkplug` turns it into an edge node's Sparkplug B messages,
`transports` deliver it (REST, native JSON over MQTT, Sparkplug B) and `runner` plays it in time."""
