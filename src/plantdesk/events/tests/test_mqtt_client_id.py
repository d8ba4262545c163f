"""The ingest's MQTT client id: one per installation, the same across restarts, an explicit one wins."""

from __future__ import annotations

from typing import Any

from plantdesk.events.mqtt.identity import ingest_client_id, installation_client_id

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/plantdesk-a/var/plantdesk.sqlite3"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "HOST": "db1", "PORT": 5432, "NAME": "plantdesk"}


def test_two_installations_get_different_ids_and_one_installation_always_the_same() -> None:
    other_home = {**SQLITE, "NAME": "/srv/plantdesk-b/var/plantdesk.sqlite3"}
    other_database = {**POSTGRES, "NAME": "plantdesk_test"}
    ids = {installation_client_id(db) for db in (SQLITE, other_home, POSTGRES, other_database)}
    assert len(ids) == 4
    assert installation_client_id(dict(SQLITE)) == installation_client_id(SQLITE)
    assert all(i.startswith("plantdesk-") and len(i) == len("plantdesk-") + 10 for i in ids)
    # The password is no part of an installation: changing it keeps the broker's session.
    assert installation_client_id({**POSTGRES, "PASSWORD": "new"}) == installation_client_id(POSTGRES)


def test_an_explicit_id_wins_then_the_environment_then_the_installation(settings: Any) -> None:
    settings.MQTT_CLIENT_ID = ""
    assert ingest_client_id() == installation_client_id()
    settings.MQTT_CLIENT_ID = "plant-a-ingest"
    assert ingest_client_id() == "plant-a-ingest"
    assert ingest_client_id("ingest-2") == "ingest-2"
