"""Who did it, as the kernel sees it: the accounts app's User satisfies this protocol, and the kernel's audit
trail, journal and domain events need nothing more of a person or an integration account."""

from __future__ import annotations

from typing import Any, Protocol


class Actor(Protocol):
    pk: Any
    username: str

    @property
    def printed_name(self) -> str: ...
