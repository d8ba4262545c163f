"""Sparkplug B: the payload schema, the edge nodes' state (bdSeq, aliases, online) and the translation of
Sparkplug messages into native events (DOMAIN.md 7). Read only: PlantDesk never publishes to OT."""
