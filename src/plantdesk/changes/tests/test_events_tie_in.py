"""While a change is implemented, alerts on its CIs are recorded as maintenance and open no incidents."""

from __future__ import annotations

import pytest

from plantdesk.accounts.actions import do_create_user
from plantdesk.changes.tests.conftest import ChangePlant, later
from plantdesk.changes.tests.helpers import move
from plantdesk.events.ingest import accept
from plantdesk.events.models import Alert
from plantdesk.events.processor import process_pending
from plantdesk.incidents.models import Incident

pytestmark = pytest.mark.django_db

ALARM = {"source": "mes-ber", "node": "BER-FILE01", "type": "alarm", "metric": "disk_offline",
         "severity": "critical", "message": "Share offline"}  # fmt: skip


def test_alerts_during_implementation_are_maintenance_and_open_incidents_again_after(cp: ChangePlant) -> None:
    mes = do_create_user("mes", role="requester", actor=cp.plant.admin, is_integration=True)
    body = {"type": "standard", "template": "Restart MES app pool", "cis": ["BER-FILE01"],
            "planned_start": later(0, 1).isoformat(), "planned_end": later(0, 2).isoformat()}  # fmt: skip
    number = cp.api(cp.plant.agent).post("/changes", body).json()["number"]
    assert move(cp, number, "scheduled").status_code == 200

    accept([{**ALARM, "event_id": "before"}], channel="rest", actor=mes)  # scheduled is not yet implementing
    process_pending()
    before = Alert.objects.get()
    assert before.suppressed == "" and before.incident is not None
    accept([{**ALARM, "severity": "ok", "event_id": "clear-1"}], channel="rest", actor=mes)
    process_pending()

    assert move(cp, number, "implement").status_code == 200
    accept([{**ALARM, "metric": "service_restart", "event_id": "during"}], channel="rest", actor=mes)
    process_pending()
    during = Alert.objects.get(metric="service_restart")
    assert during.suppressed == "maintenance" and during.incident is None
    incidents = Incident.objects.count()

    assert move(cp, number, "review").status_code == 200
    accept([{**ALARM, "metric": "cpu_hot", "event_id": "after"}], channel="rest", actor=mes)
    process_pending()
    after = Alert.objects.get(metric="cpu_hot")
    assert after.suppressed == "" and after.incident is not None
    assert Incident.objects.count() == incidents + 1
