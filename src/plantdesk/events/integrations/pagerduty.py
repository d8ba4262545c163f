"""POST /integrations/pagerduty/v2/enqueue: PagerDuty's Events API v2, so a client made for PagerDuty works with
its base URL set to <plantdesk>/integrations/pagerduty. `routing_key` is the API token of an integration account.

PagerDuty's answers are kept: 202 {"status": "success", ...} once the event is durable, 400 {"status": "invalid
event", ...} for anything wrong (a bad routing key included; nothing is stored then), 413 above 512 KB. The
routing key is a credential, so the kept payload has it replaced by its public prefix."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from plantdesk.events.ingest import TEXT_FIELDS, Received, accept_received, problem_with
from plantdesk.events.integrations.common import (
    MAX_BODY,
    Unreadable,
    body_of,
    compact,
    instant,
    integration_for,
    json_reply,
    parse,
    short_hash,
)

CHANNEL = "pagerduty"
SOURCE_OF_UPDATES = "pagerduty"  # acknowledge and resolve name no source; the alert keeps its trigger's
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITY_OF = {"critical": "critical", "error": "major", "warning": "warning", "info": "info"}
REDACTED = "[redacted]"
SHOWN_PREFIX = 10  # as much of a token as PlantDesk keeps in clear (ApiToken.prefix) and shows in the audit
# PagerDuty's own limits where it documents one; the native event's where PlantDesk's is tighter.
LIMITS = {"dedup_key": 255, "payload.summary": 1024, "payload.source": TEXT_FIELDS["source"],
          "payload.component": TEXT_FIELDS["resource"], "payload.group": TEXT_FIELDS["metric"],
          "payload.class": TEXT_FIELDS["type"], "client": 255, "client_url": 2000}  # fmt: skip


def normalise(payload: str) -> dict[str, Any]:
    """The native event of a kept (routing-key-redacted) Events API v2 body; ValueError names the field."""
    try:
        document = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"body: not valid JSON: {exc}.") from exc
    errors = problems(document)
    if errors:
        raise ValueError("; ".join(errors))
    return event_of(document, payload)


def problems(document: Any) -> list[str]:
    """Everything wrong with an Events API v2 event apart from its routing key, each naming its field."""
    if not isinstance(document, dict):
        return ["body: an event is a JSON object."]
    errors = _text_problems(document, ("dedup_key", "client", "client_url"))
    action = document.get("event_action")
    if action not in ACTIONS:
        errors.append(f"event_action: one of {', '.join(ACTIONS)}.")
    elif action != "trigger" and not document.get("dedup_key"):
        errors.append(f"dedup_key: missing or blank; an {action} names the alert by its dedup_key.")
    for field in ("links", "images"):
        if not isinstance(document.get(field, []), list):
            errors.append(f"{field}: an array.")
    if action == "trigger":
        errors.extend(_payload_problems(document.get("payload")))
    return errors


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["payload: an object with summary, source and severity."]
    errors = [f"payload.{f}: missing or blank." for f in ("summary", "source") if not payload.get(f)]
    errors += _text_problems(payload, ("summary", "source", "component", "group", "class"), prefix="payload.")
    if payload.get("severity") not in SEVERITY_OF:
        errors.append(f"payload.severity: one of {', '.join(SEVERITY_OF)}.")
    if payload.get("timestamp") is not None and instant(payload["timestamp"], naive_is_utc=True) is None:
        errors.append("payload.timestamp: an ISO 8601 time.")
    return errors


def _text_problems(where: dict[str, Any], fields: tuple[str, ...], prefix: str = "") -> list[str]:
    errors = []
    for field in fields:
        value, name = where.get(field), prefix + field
        if value is not None and (not isinstance(value, str) or len(value) > LIMITS[name]):
            errors.append(f"{name}: text of at most {LIMITS[name]} characters.")
    return errors


def event_of(document: dict[str, Any], raw: str) -> dict[str, Any]:
    """The native event of a valid Events API v2 event (see `problems`) kept as `raw`."""
    action = document["event_action"]
    # PagerDuty makes up a dedup_key for a trigger without one; derived from the kept payload, a redelivery of
    # the same body gets the same key (and is recognised by the inbox) while any other trigger gets its own.
    dedup_key = document.get("dedup_key") or short_hash(raw)
    if action != "trigger":
        payload = document.get("payload")
        source = payload.get("source") if isinstance(payload, dict) else None
        valid_source = isinstance(source, str) and 0 < len(source) <= TEXT_FIELDS["source"]
        return {"source": source if valid_source else SOURCE_OF_UPDATES, "action": action, "dedup_key": dedup_key}
    payload = document["payload"]
    event: dict[str, Any] = {
        "source": payload["source"],
        "node": payload["source"],  # PagerDuty's source is "the unique location of the affected system"
        "severity": SEVERITY_OF[payload["severity"]],
        "message": payload["summary"],
        "dedup_key": dedup_key,
        "action": action,
        "attributes": _attributes(document),
    }
    optional = {"resource": payload.get("component"), "type": payload.get("class"),
                "metric": payload.get("group") or payload.get("class"),
                "occurred_at": instant(payload.get("timestamp"), naive_is_utc=True)}  # fmt: skip
    event.update({field: value for field, value in optional.items() if value})
    return event


def _attributes(document: dict[str, Any]) -> dict[str, Any]:
    details = document["payload"].get("custom_details")
    found = {"custom_details": details, "links": document.get("links"), "images": document.get("images"),
             "client": document.get("client"), "client_url": document.get("client_url")}  # fmt: skip
    return {key: value for key, value in found.items() if value not in (None, "", [], {})}


def redacted(text: str, document: dict[str, Any], key: str) -> str:
    """The body as received with the routing key replaced by its public prefix (what `plantdesk` shows of a
    token), wherever it appears; re-serialised only if the sender escaped the key's characters."""
    shown = key[:SHOWN_PREFIX] + REDACTED
    if key in text:
        return text.replace(key, shown)
    return compact({**document, "routing_key": shown})


@csrf_exempt
def enqueue(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _invalid(405, [f"method: {request.method} is not allowed; events are POSTed."], {"Allow": "POST"})
    body = body_of(request)
    if body is None:
        return _invalid(413, [f"body: at most {MAX_BODY // 1024} KB per event."], message="Request too large")
    try:
        text, document = parse(body)
    except Unreadable as exc:
        return _invalid(400, [str(exc)])
    if not isinstance(document, dict):
        return _invalid(400, problems(document))
    key = document.get("routing_key")
    account = integration_for(key) if isinstance(key, str) and key else None
    errors = [] if account else ["routing_key: not the integration key of a PlantDesk integration account."]
    errors += problems(document)
    if errors or account is None or not isinstance(key, str):
        return _invalid(400, errors)
    raw = redacted(text, document, key)
    event = event_of(document, raw)
    native_problem = problem_with(event)  # PagerDuty's rules are checked above; this is a safety net
    if native_problem:
        return _invalid(400, [native_problem])
    outcome = accept_received([Received(event, raw=raw)], channel=CHANNEL, actor=account)[0]
    # Committed: only now is the sender told; a redelivery of the same body finds the same row.
    return json_reply(202, {"status": "success", "message": "Event processed", "dedup_key": outcome.dedup_key})


def _invalid(
    status: int, errors: list[str], headers: dict[str, str] | None = None, message: str = "Event object is invalid"
) -> JsonResponse:
    return json_reply(status, {"status": "invalid event", "message": message, "errors": errors}, headers)
