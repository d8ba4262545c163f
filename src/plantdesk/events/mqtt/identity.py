"""The MQTT session name of this installation's ingest.

A broker keeps one session per client id and disconnects the older connection when a second one logs in
with the same id: two PlantDesk installations on one broker (a test and a production plant, two
developers) with a fixed default knocked each other off, each reconnect taking the other's session and
its queued messages. The default is therefore derived from what makes an installation: its database (the
SQLite file under PLANTDESK_HOME's resolved path, or the PostgreSQL host, port and name). It stays the
same across restarts, so the broker's persistent session and its queue are found again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.conf import settings

PREFIX = "plantdesk-"


def installation_client_id(database: Mapping[str, Any] | None = None) -> str:
    """`plantdesk-<10 hex digits>` for the default database (or `database`, a Django DATABASES entry)."""
    db = settings.DATABASES["default"] if database is None else database
    identity = "|".join(str(db.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    return PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:10]


def ingest_client_id(explicit: str | None = None) -> str:
    """`--client-id` wins, then PLANTDESK_MQTT_CLIENT_ID, then this installation's own id."""
    return explicit or settings.MQTT_CLIENT_ID or installation_client_id()
