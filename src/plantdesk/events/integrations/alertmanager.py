"""POST /integrations/alertmanager: Prometheus Alertmanager's webhook (payload version 4), one native event per
alert. Each alert is kept as a one-alert copy of the notification, so its normaliser can replay it alone."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from plantdesk.accounts.tokens import user_for_token
from plantdesk.events.ingest import TEXT_FIELDS, Received, accept_received, accepted_summary
from plantdesk.events.integrations.common import (
    MAX_BODY,
    Unreadable,
    body_of,
    compact,
    instant,
    json_reply,
    parse,
    short_hash,
)

CHANNEL = "alertmanager"
DEFAULT_SOURCE = "alertmanager"
VERSION = "4"
# Alertmanager's conventions vary between rule sets; these spellings are the common ones.
SEVERITY_OF = {
    "critical": "critical",
    "error": "major", "high": "major", "major": "major",
    "minor": "minor",
    "warning": "warning", "warn": "warning",
    "info": "info", "none": "info", "low": "info",
}  # fmt: skip
NEVER = "0001-01-01T00:00:00Z"  # Go's zero time: what Alertmanager sends as endsAt while an alert fires


def normalise(payload: str) -> dict[str, Any]:
    """The native event of a kept one-alert notification; ValueError names the field at fault."""
    try:
        document = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"body: not valid JSON: {exc}.") from exc
    alerts = alerts_of(document)
    if len(alerts) != 1:
        raise ValueError("alerts: a kept Alertmanager payload holds exactly one alert.")
    return event_of(document, alerts[0])


def alerts_of(document: Any) -> list[Any]:
    """The alerts of a webhook notification; Unreadable names what makes it no version 4 notification."""
    if not isinstance(document, dict):
        raise Unreadable("body: an Alertmanager notification is a JSON object.")
    if document.get("version") != VERSION:
        raise Unreadable(f'version: "{VERSION}" expected (Alertmanager webhook payload version 4).')
    alerts = document.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise Unreadable("alerts: a list of at least one alert.")
    if not isinstance(document.get("receiver", ""), str):
        raise Unreadable("receiver: text.")
    return alerts


def one_alert(document: dict[str, Any], alert: Any) -> str:
    """The notification with only `alert` in it: the part of the request that concerns this alert."""
    return compact({key: [alert] if key == "alerts" else value for key, value in document.items()})


def identity(alert: Any) -> tuple[str, str]:
    """(source, event_id) of an alert, even of one that cannot be read, so a redelivery is recognised.

    Alertmanager repeats a firing alert every repeat_interval (and with every change to its group) with the
    same fingerprint and startsAt: the same event id, so a repeat stores nothing and counts nothing. The end
    time only enters once the alert is resolved: while firing, endsAt moves with every Prometheus evaluation."""
    if not isinstance(alert, dict):
        return DEFAULT_SOURCE, ""
    labels = alert.get("labels")
    source = labels.get("source") if isinstance(labels, dict) else None
    status = str(alert.get("status"))
    ends = str(alert.get("endsAt")) if status == "resolved" else ""
    source = source if isinstance(source, str) and source else DEFAULT_SOURCE
    return source, short_hash(_fingerprint(alert), status, str(alert.get("startsAt")), ends, length=64)


def _fingerprint(alert: dict[str, Any]) -> str:
    """Alertmanager's fingerprint of the label set, or (from senders that omit it) a hash of the sorted labels."""
    fingerprint = alert.get("fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        return fingerprint
    labels = alert.get("labels") if isinstance(alert.get("labels"), dict) else {}
    return "labels-" + short_hash(json.dumps(labels, sort_keys=True, ensure_ascii=False), length=32)


def event_of(document: dict[str, Any], alert: Any) -> dict[str, Any]:
    """The native event of one alert of `document`; ValueError names the field at fault."""
    if not isinstance(alert, dict):
        raise ValueError("alerts[]: an alert is a JSON object.")
    labels = _strings(alert.get("labels"), "labels", required=True)
    annotations = _strings(alert.get("annotations", {}), "annotations", required=False)
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise ValueError('status: "firing" or "resolved".')
    starts = instant(alert.get("startsAt"))
    if starts is None:
        raise ValueError("startsAt: an RFC 3339 time.")
    ends = instant(alert.get("endsAt")) if alert.get("endsAt") not in (None, NEVER) else None
    source, event_id = identity(alert)
    event: dict[str, Any] = {
        "source": source,
        "type": "alert",
        "severity": "clear" if status == "resolved" else _severity(labels),
        "message": _message(labels, annotations)[: TEXT_FIELDS["message"]],  # the full text stays in attributes
        "dedup_key": f"{CHANNEL}:{_fingerprint(alert)}",
        "event_id": event_id,
        "occurred_at": (ends or starts) if status == "resolved" else starts,
        "attributes": _attributes(document, alert, labels, annotations),
    }
    node = labels.get("ci") or labels.get("node") or _host(labels.get("instance", ""))
    fields = {"node": node, "ci": labels.get("ci"), "metric": labels.get("alertname"),
              "resource": labels.get("resource") or labels.get("service") or labels.get("job")}  # fmt: skip
    event.update({field: value for field, value in fields.items() if value})
    return event


def _strings(value: Any, field: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{field}: an object of text values.")
    return value


def _severity(labels: dict[str, str]) -> str:
    given = labels.get("severity")
    if given is None:
        raise ValueError("labels.severity: missing; a firing alert needs a severity label.")
    severity = SEVERITY_OF.get(given.strip().lower())
    if severity is None:
        raise ValueError(f"labels.severity: {given!r} is not one of {', '.join(SEVERITY_OF)}.")
    return severity


def _message(labels: dict[str, str], annotations: dict[str, str]) -> str:
    return annotations.get("summary") or annotations.get("description") or labels.get("alertname") or ""


def _host(instance: str) -> str:
    """The host of a Prometheus `instance` label ("plc01:9100", "[fe80::1]:9100", "https://mes.example/"), so
    the node can be bound to a CI by name or alias."""
    if "://" in instance:
        instance = instance.split("://", 1)[1].split("/", 1)[0]
    if instance.startswith("["):
        return instance[1:].split("]", 1)[0]
    host, _, port = instance.rpartition(":")
    return host if host and port.isdigit() and ":" not in host else instance


def _attributes(
    document: dict[str, Any], alert: dict[str, Any], labels: dict[str, str], annotations: dict[str, str]
) -> dict[str, Any]:
    links = {"generatorURL": alert.get("generatorURL"), "fingerprint": alert.get("fingerprint"),
             "externalURL": document.get("externalURL"), "receiver": document.get("receiver")}  # fmt: skip
    return {"labels": labels, "annotations": annotations} | {k: v for k, v in links.items() if v}


@csrf_exempt
def webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _error(405, "Alertmanager posts its notifications.", headers={"Allow": "POST"})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "Authorization: a bearer token is required.", "Authorization")
    account = user_for_token(token.strip())
    if account is None:
        return _error(401, "Authorization: unknown, revoked or inactive token.", "Authorization")
    if not account.is_integration:  # a person's token in an Alertmanager config would act in their name
        return _error(403, "Alertmanager notifications come from an integration account.", "Authorization")
    body = body_of(request)
    if body is None:
        return _error(413, f"body: at most {MAX_BODY // 1024} KB per notification; lower max_alerts.", "body")
    try:
        _, document = parse(body)
        alerts = alerts_of(document)
    except Unreadable as exc:
        field, _, message = str(exc).partition(": ")
        return _error(400, str(exc), field, message)
    items = [_received(document, alert) for alert in alerts]
    outcomes = accept_received(items, channel=CHANNEL, actor=account)  # committed: now the answer may go
    return json_reply(202, accepted_summary(outcomes))


def _received(document: dict[str, Any], alert: Any) -> Received:
    raw = one_alert(document, alert)
    try:
        return Received(event_of(document, alert), raw=raw)
    except ValueError as exc:
        source, event_id = identity(alert)
        partial = {"source": source, "event_id": event_id} if event_id else {"source": source}
        return Received(partial, raw=raw, problem=str(exc), source=source)


def _error(
    status: int, detail: str, field: str = "", message: str = "", headers: dict[str, str] | None = None
) -> JsonResponse:
    errors = [{"field": field, "message": message or detail}] if field else []
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="plantdesk"', **(headers or {})}
    return json_reply(status, {"detail": detail, "errors": errors}, headers)
