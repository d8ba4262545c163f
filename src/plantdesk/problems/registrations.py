"""What the problems app plugs into the layers below it (called once from `ProblemsConfig.ready()`)."""

from __future__ import annotations


def register() -> None:
    pass
