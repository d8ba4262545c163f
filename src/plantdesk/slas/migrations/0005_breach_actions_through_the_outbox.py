"""Breach actions move to the outbox: a clock whose actions were still pending becomes an `sla.breached`
domain event with a pending delivery to the incidents app's consumer, so no breach action is lost."""

import zlib

from django.db import migrations
from django.utils import timezone

CONSUMER = "incidents.sla_breach_actions"  # incidents.reactions.SLA_BREACH_ACTIONS
PARTITIONS = 32


def pending_actions_to_events(apps, schema_editor):
    SLAClock = apps.get_model("slas", "SLAClock")
    DomainEvent = apps.get_model("core", "DomainEvent")
    EventDelivery = apps.get_model("core", "EventDelivery")
    User = apps.get_model("accounts", "User")
    system = User.objects.filter(username="system").first()
    now = timezone.now()
    for clock in SLAClock.objects.filter(actions_pending=True).select_related("definition").order_by("pk"):
        label = ""
        if clock.record_type == "incident":
            incident = apps.get_model("incidents", "Incident").objects.filter(pk=clock.record_id).first()
            label = incident.number if incident else ""
        event = DomainEvent.objects.create(
            name="sla.breached",
            record_type=clock.record_type,
            record_id=clock.record_id,
            record_label=label,
            actor=system,
            actor_username=system.username if system else "system",
            occurred_at=now,
            data={
                "clock": clock.pk,
                "definition": clock.definition.name,
                "target": clock.definition.target,
                "due": clock.due_at.isoformat(timespec="seconds") if clock.due_at else "?",
                "breach_actions": clock.definition.breach_actions,
            },
        )
        stream = f"{clock.record_type}:{clock.record_id}"
        EventDelivery.objects.create(
            event=event,
            consumer=CONSUMER,
            stream=stream,
            partition=zlib.crc32(stream.encode()) % PARTITIONS,
            available_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("slas", "0004_breach_actions_outbox"),
        ("core", "0006_outbox"),
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(pending_actions_to_events, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="slaclock", name="sla_clock_actions_idx"),
        migrations.RemoveField(model_name="slaclock", name="actions_pending"),
    ]
