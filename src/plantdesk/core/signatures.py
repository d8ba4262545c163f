"""Electronic signatures (21 CFR Part 11.50, 11.70, 11.200; DOMAIN.md section 8).

Signing re-enters the password (`accounts.signing`, counted toward the account lockout), records the
meaning from a controlled list, the printed name and the server's UTC time, and binds the signature to a
SHA-256 of the signed fields' values. A signature stays valid while those values hash the same; a change
to any of them invalidates it (`invalidate_changed`). `manifest_hash` also covers the record's identity,
so a row copied to another record no longer verifies (`verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from plantdesk.core import audit
from plantdesk.core.actors import Actor
from plantdesk.core.choices import SignatureMeaning
from plantdesk.core.errors import InvalidInput
from plantdesk.core.models import Signature

# The fields' current values, as text, of one record: what a signature hashes.
Values = Mapping[str, str]


def record_hash(record_type: str, record_id: int, values: Values) -> str:
    payload = {"record": [record_type, record_id], "fields": dict(sorted(values.items()))}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def manifest_hash(sig: Signature) -> str:
    parts = [
        sig.record_type, sig.record_id, sig.record_label, sig.username, sig.printed_name, sig.meaning,
        sig.purpose, sig.signed_at.astimezone(UTC).isoformat(timespec="microseconds"), sig.record_hash, sig.comment,
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def sign(
    *,
    signer: Actor,
    record_type: str,
    record_id: int,
    record_label: str,
    values: Values,
    meaning: str,
    purpose: str,
    allowed_meanings: Sequence[str],
    comment: str = "",
) -> Signature:
    """Create a signature inside the caller's action transaction (the password was checked before)."""
    if meaning not in allowed_meanings:
        raise InvalidInput.for_field("meaning", f"Use one of: {', '.join(allowed_meanings)}.")
    sig = Signature(
        record_type=record_type,
        record_id=record_id,
        record_label=record_label[:64],
        signer_id=signer.pk,
        username=signer.username,
        printed_name=signer.printed_name,
        meaning=meaning,
        purpose=purpose,
        comment=comment.strip(),
        signed_at=timezone.now(),
        signed_fields=sorted(values),
        record_hash=record_hash(record_type, record_id, values),
    )
    sig.manifest_hash = manifest_hash(sig)
    sig.save(force_insert=True)
    audit.record(
        actor=signer, record_type=record_type, record_id=record_id, record_label=record_label, action="signed",
        field=purpose, new=f"{signer.printed_name} ({signer.username}): {meaning}, {sig.signed_at.isoformat()}",
        reason=sig.comment,
    )  # fmt: skip
    return sig


def verify(sig: Signature, values: Values) -> bool:
    """Still bound to this record and to these field values, and not invalidated."""
    if not sig.valid or manifest_hash(sig) != sig.manifest_hash:
        return False
    current = {name: values.get(name, "") for name in sig.signed_fields}
    return record_hash(sig.record_type, sig.record_id, current) == sig.record_hash


def invalidate_changed(
    *,
    record_type: str,
    record_id: int,
    record_label: str,
    values_of: Callable[[], Values],
    changed_fields: set[str],
    actor: Actor,
) -> list[Signature]:
    """Invalidate the valid signatures of a record whose signed fields no longer hash the same.
    `changed_fields`, the fields this action changed, name the cause in the reason."""
    valid = list(Signature.objects.select_for_update().filter(record_type=record_type, record_id=record_id, valid=True))
    if not valid:
        return []
    values = values_of()
    broken = [sig for sig in valid if not verify(sig, values)]
    now = timezone.now()
    for sig in broken:
        changed = [f for f in sig.signed_fields if f in changed_fields]
        invalidate(sig, reason=f"Signed field changed: {', '.join(changed) or 'record'}.", actor=actor, now=now)
    return broken


def invalidate(sig: Signature, *, reason: str, actor: Actor, now: datetime | None = None) -> None:
    """Mark a signature invalid (it stays on the record, with when and why) and audit it."""
    sig.valid = False
    sig.invalidated_at = now or timezone.now()
    sig.invalidated_reason = reason
    sig.save(update_fields=["valid", "invalidated_at", "invalidated_reason"])
    audit.record(
        actor=actor, record_type=sig.record_type, record_id=sig.record_id, record_label=sig.record_label,
        action="signature_invalidated", field=sig.purpose, old=f"{sig.printed_name}: {sig.meaning}", reason=reason,
    )  # fmt: skip


def manifestation(sig: Signature, meaning_label: Callable[[str], str] | None = None) -> str:
    """The human-readable manifestation (11.50): printed name, date and time (UTC), meaning."""
    meanings = dict(SignatureMeaning.choices)
    label = meaning_label(sig.meaning) if meaning_label else meanings.get(sig.meaning, sig.meaning)
    state = "" if sig.valid else f" (INVALIDATED {sig.invalidated_at:%Y-%m-%d %H:%M} UTC: {sig.invalidated_reason})"
    when = f"{sig.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return f"Signed by {sig.printed_name} ({sig.username}) on {when}, meaning: {label}{state}"


def signatures_of(record_type: str, record_id: int) -> list[Signature]:
    return list(Signature.objects.filter(record_type=record_type, record_id=record_id).order_by("signed_at", "id"))


def as_values(pairs: Mapping[str, Any]) -> dict[str, str]:
    return {k: audit.as_text(v) for k, v in pairs.items()}
