"""MQTT ingest (`plantdesk ingest mqtt`): native JSON events on `plantdesk/events/#`, Sparkplug B on
`spBv1.0/#`, stored in the inbox and acknowledged to the broker only once committed (ARCHITECTURE rule 10)."""
