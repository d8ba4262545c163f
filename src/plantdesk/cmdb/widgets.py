"""The CI picker of every form with a CI: the kernel's type-ahead picker, asking the CMDB for the names and
aliases the user may see."""

from __future__ import annotations

from typing import Any

from django.urls import reverse_lazy

from plantdesk.ui.widgets import TypeaheadInput


class CISuggestInput(TypeaheadInput):
    def __init__(self, attrs: dict[str, Any] | None = None, *, multiple: bool = False) -> None:
        super().__init__(reverse_lazy("ui:cmdb:suggest"), multiple=multiple, attrs=attrs)
