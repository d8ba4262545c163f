"""`plantdesk integration add NAME`: the key alone on one line, and it works for sending events."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from plantdesk.accounts.models import User
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db


def test_the_printed_key_sends_events_and_names_are_never_reused(plant: Plant) -> None:
    out = io.StringIO()
    call_command("integration", "add", "mes-ber", "--kind", "pagerduty", "--site", "ber", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and len(lines[0]) > 30
    account = User.objects.get(username="mes-ber")
    assert account.is_integration and [s.code for s in account.sites.all()] == ["ber"]
    event = {"source": "mes-ber", "severity": "major", "message": "Filler stopped"}
    response = Client().post("/api/v1/events", json.dumps(event), content_type="application/json",
                             headers={"Authorization": f"Bearer {lines[0]}"})  # fmt: skip
    assert response.status_code == 202
    with pytest.raises(CommandError, match="exists"):
        call_command("integration", "add", "mes-ber", stdout=io.StringIO())
