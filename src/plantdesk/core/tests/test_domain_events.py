"""Domain events: recorded in the action's transaction, dispatched after the commit, in order per record,
retried with backoff, given up and requeued; the outbox partitions' leases fence a worker that lost them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from plantdesk.core import audit, dispatch
from plantdesk.core.dispatch import LeaseLost, Round, dispatch_all, purge, retry_failed
from plantdesk.core.domain_events import PARTITIONS, partition_of, record_event, stream_of
from plantdesk.core.errors import Conflict
from plantdesk.core.models import DomainEvent, EventDelivery, OutboxPartition
from plantdesk.incidents.actions import do_add_comment, do_transition_incident, do_update_incident
from plantdesk.testing.fixtures import Plant, make_incident, subscribed


def names_of(incident_id: int) -> list[str]:
    return list(
        DomainEvent.objects.filter(record_type="incident", record_id=incident_id)
        .order_by("id")
        .values_list("name", flat=True)
    )


def test_an_action_records_its_events_with_the_changed_fields(plant: Plant) -> None:
    with subscribed("test.all", ["incident.*"]) as seen:
        incident = make_incident(plant.agent, assignment_group="Service Desk")
        do_update_incident(incident, {"urgency": 1, "assignee": "alice"}, actor=plant.agent)
        do_transition_incident(incident, "on_hold", actor=plant.agent, hold_reason="awaiting_vendor")
        do_add_comment(incident, "Vendor called back.", "internal", actor=plant.agent)
        assert seen == []  # nothing is handed over before the worker dispatches
        assert names_of(incident.pk) == [
            "incident.created", "incident.assigned", "incident.updated", "incident.assigned",
            "incident.state_changed", "incident.commented",
        ]  # fmt: skip
        dispatch_all()
    assert [e.name for e in seen] == names_of(incident.pk)
    updated = seen[2]
    assert updated.changes["urgency"] == {"old": "2", "new": "1"}
    assert updated.changes["priority"] == {"old": "3", "new": "2"}
    assert updated.changes["assignee"] == {"old": "", "new": "alice"}
    assert (updated.actor_username, updated.record_label) == ("alice", incident.number)
    assert seen[3].changes == {"assignee": {"old": "", "new": "alice"}}  # incident.assigned: only the assignment
    assert seen[4].changes["state"] == {"old": "new", "new": "on_hold"}
    assert seen[5].data["visibility"] == "internal"
    assert all(e.occurred_at.tzinfo is not None for e in seen)


def test_a_rolled_back_action_leaves_no_event(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    before = DomainEvent.objects.count()

    def update_then_fail() -> None:
        with transaction.atomic():
            do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
            raise RuntimeError("the caller's transaction fails after the action")

    with pytest.raises(RuntimeError):
        update_then_fail()
    with pytest.raises(Conflict):  # refused inside its own transaction
        do_transition_incident(incident, "closed", actor=plant.agent)
    assert DomainEvent.objects.count() == before
    assert EventDelivery.objects.filter(event__record_id=incident.pk, event__name="incident.updated").count() == 0


def test_a_nested_action_that_rolls_back_takes_only_its_own_events(plant: Plant) -> None:
    incident = make_incident(plant.agent)

    def inner() -> None:
        with audit.action_transaction():
            record_event("incident.test_inner", record_type="incident", record=incident, actor=plant.agent)
            raise RuntimeError("the savepoint rolls back")

    with audit.action_transaction():
        record_event("incident.test_outer", record_type="incident", record=incident, actor=plant.agent)
        with pytest.raises(RuntimeError):
            inner()
    assert names_of(incident.pk)[-1:] == ["incident.test_outer"]


def test_recording_outside_an_action_is_refused(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    with pytest.raises(RuntimeError, match="outside an action"):
        record_event("incident.lost", record_type="incident", record=incident, actor=plant.agent)


def test_deliveries_exist_only_for_the_consumers_that_subscribed(plant: Plant) -> None:
    with subscribed("test.changes", ["change.*"]), subscribed("test.comments", ["incident.commented"]):
        incident = make_incident(plant.agent)
        do_add_comment(incident, "Looking.", "public", actor=plant.agent)
    deliveries = EventDelivery.objects.filter(event__record_id=incident.pk, event__record_type="incident")
    assert list(deliveries.values_list("consumer", "event__name")) == [("test.comments", "incident.commented")]
    row = deliveries.get()
    assert row.stream == stream_of("incident", incident.pk) and row.partition == partition_of(row.stream)
    assert 0 <= row.partition < PARTITIONS


def test_a_failing_delivery_is_retried_with_backoff_and_holds_back_only_its_own_record(plant: Plant) -> None:
    first, second = make_incident(plant.agent), make_incident(plant.agent)
    broken = {first.pk}
    with subscribed("test.flaky", ["incident.*"], fail=lambda e: e.record_id in broken) as seen:
        do_update_incident(first, {"urgency": 1}, actor=plant.agent)
        do_update_incident(first, {"urgency": 3}, actor=plant.agent)
        do_update_incident(second, {"urgency": 1}, actor=plant.agent)
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            dispatch_all()
        assert [e.record_id for e in seen] == [second.pk]  # the other record was not held up
        head = EventDelivery.objects.filter(consumer="test.flaky", event__record_id=first.pk).order_by("id")
        assert [(d.state, d.attempts) for d in head] == [("pending", 1), ("pending", 0)]
        assert head[0].available_at == start + timedelta(seconds=2) and "refuses event" in head[0].last_error
        with time_machine.travel(start + timedelta(seconds=1), tick=False):
            assert dispatch_all() == 0  # not due yet; the later event waits behind it
        broken.clear()
        with time_machine.travel(start + timedelta(seconds=3), tick=False):
            dispatch_all()
    mine = [e for e in seen if e.record_id == first.pk]
    assert [e.changes["urgency"]["new"] for e in mine] == ["1", "3"]  # in order, the retried one first
    assert not EventDelivery.objects.filter(consumer="test.flaky").exclude(state="done").exists()


def test_a_delivery_that_keeps_failing_is_given_up_then_requeued(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    broken = True
    with subscribed("test.broken", ["incident.updated"], fail=lambda e: broken, max_attempts=3) as seen:
        do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
        do_update_incident(incident, {"urgency": 3}, actor=plant.agent)
        start = timezone.now()
        for seconds in (0, 3, 8):  # attempts 1, 2, 3 at their backoff
            with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
                dispatch_all()
        rows = list(EventDelivery.objects.filter(consumer="test.broken").order_by("id"))
        # Given up: the first no longer holds back the next one, which was tried at once (and failed too).
        assert [(r.state, r.attempts) for r in rows] == [("failed", 3), ("pending", 1)]
        broken = False
        with time_machine.travel(start + timedelta(seconds=11), tick=False):
            dispatch_all()
        assert [e.changes["urgency"]["new"] for e in seen] == ["3"]
        assert retry_failed("test.broken") == 1
        dispatch_all()
    assert sorted(e.changes["urgency"]["new"] for e in seen) == ["1", "3"]
    assert set(EventDelivery.objects.filter(consumer="test.broken").values_list("state", flat=True)) == {"done"}


def test_a_batched_consumer_that_fails_on_one_record_still_delivers_the_others(plant: Plant) -> None:
    incidents = [make_incident(plant.agent) for _ in range(4)]
    broken = {incidents[1].pk}
    with subscribed("test.batched", ["incident.updated"], isolated=False, fail=lambda e: e.record_id in broken) as seen:
        for incident in incidents:
            do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
        dispatch_all()
    # The run was handed over once in one transaction, rolled back with the failure, then again event by event:
    # an event the consumer saw before the failure is seen twice (at least once), the failing one never.
    assert {e.record_id for e in seen} == {i.pk for i in incidents if i.pk not in broken}
    assert set(EventDelivery.objects.filter(consumer="test.batched", state="done").values_list(
        "event__record_id", flat=True)) == {i.pk for i in incidents if i.pk not in broken}  # fmt: skip
    failed = EventDelivery.objects.get(consumer="test.batched", event__record_id=incidents[1].pk)
    assert (failed.state, failed.attempts) == ("pending", 1)


def test_a_consumers_writes_commit_with_its_progress(plant: Plant) -> None:
    """Isolated consumers write through actions: their effect and their delivery commit together."""
    incident = make_incident(plant.agent)

    def fail(event: object) -> bool:
        do_add_comment(incident, "Written, then rolled back with the failing delivery.", "internal", actor=plant.system)
        return True

    with subscribed("test.writer", ["incident.updated"], fail=fail):
        do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
        dispatch_all()
    assert not incident_notes(incident.pk)


def incident_notes(incident_id: int) -> list[str]:
    from plantdesk.core.models import JournalEntry

    return list(
        JournalEntry.objects.filter(record_type="incident", record_id=incident_id).values_list("body", flat=True)
    )


def test_a_worker_that_lost_its_lease_writes_nothing(plant: Plant) -> None:
    with subscribed("test.fenced", ["incident.created"]):
        incident = make_incident(plant.agent)
        partition = partition_of(stream_of("incident", incident.pk))
        slow = Round("worker-a", dispatch._lease("worker-a"), {})
        assert partition in slow.partitions
        OutboxPartition.objects.filter(pk=partition).update(lease_until=timezone.now() - timedelta(seconds=1))
        assert partition in dispatch._lease("worker-b")  # worker-a stalled past its lease; worker-b takes over
        with pytest.raises(LeaseLost), transaction.atomic():
            slow.fence()
        assert OutboxPartition.objects.get(pk=partition).owner == "worker-b"


def test_delivered_events_are_purged_after_the_retention_and_the_others_kept(plant: Plant) -> None:
    with subscribed("test.kept", ["incident.updated"], fail=lambda e: True):
        incident = make_incident(plant.agent)
        do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
        dispatch_all()
    later = timezone.now() + timedelta(days=15)
    assert purge(later) >= 1
    assert names_of(incident.pk) == ["incident.updated"]  # its delivery is still pending: kept
    assert purge(later) == 0


def test_the_outbox_command_tells_what_waits_and_requeues_what_was_given_up(plant: Plant) -> None:
    from io import StringIO

    from django.core.management import call_command

    def run(*args: str) -> str:
        out = StringIO()
        call_command("outbox", *args, stdout=out)
        return out.getvalue()

    with subscribed("test.cli", ["incident.updated"], fail=lambda e: True, max_attempts=1):
        incident = make_incident(plant.agent)
        do_update_incident(incident, {"urgency": 1}, actor=plant.agent)
        assert run("status").startswith("test.cli: 1 pending, 0 failed, oldest pending ")
        run("dispatch")
        assert run("status").startswith("test.cli: 0 pending, 1 failed")
        assert run("retry", "--consumer", "test.cli") == "requeued: 1\n"
    assert "not registered in this process" in run("status")
