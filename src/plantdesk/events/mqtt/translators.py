"""Translators for MQTT topics other than the native JSON one, registered by the apps that read them
(the Sparkplug B app registers `spBv1.0/`): MQTT ingest stays free of any one protocol's code.

A translator turns a message into inbox items and may keep state (Sparkplug's node and device births):
`save()` runs inside the transaction that stores the batch, `reset()` after that transaction failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from plantdesk.events.ingest import Received


class TopicTranslator(Protocol):
    def translate(self, topic: str, payload: bytes) -> list[Received]: ...
    def save(self) -> None: ...
    def reset(self) -> None: ...


@dataclass(frozen=True)
class Registration:
    prefix: str  # topics starting with this
    channel: str  # the inbox channel their events are stored under (and replayed through)
    factory: Callable[[], TopicTranslator]


_registered: dict[str, Registration] = {}


def register_translator(prefix: str, channel: str, factory: Callable[[], TopicTranslator]) -> None:
    _registered[prefix] = Registration(prefix, channel, factory)


def registered() -> list[Registration]:
    return sorted(_registered.values(), key=lambda r: -len(r.prefix))  # the most specific prefix first
