"""Domain errors raised by actions; the API and the UI map them to the CONTRACT.md error format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base of every refusal an action can give. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)

    @classmethod
    def for_field(cls, field: str, message: str) -> Self:
        return cls(f"{field}: {message}", [FieldError(field, message)])

    @classmethod
    def for_fields(cls, errors: Sequence[FieldError]) -> Self:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return cls(detail or "Invalid input.", errors)


class InvalidInput(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """An invalid transition or a stale update: the request was well-formed but the record refuses it."""

    status = 409

    def __init__(self, detail: str, errors: Sequence[FieldError] = (), *, allowed: Sequence[str] | None = None) -> None:
        super().__init__(detail, errors)
        self.allowed = list(allowed) if allowed is not None else None
