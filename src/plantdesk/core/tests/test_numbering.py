from __future__ import annotations

import pytest
from django.db import transaction

from plantdesk.core.numbering import next_number
from plantdesk.testing.fixtures import Plant, make_incident


def test_incident_numbers_start_at_1001_and_increase(plant: Plant) -> None:
    first = make_incident(plant.agent)
    second = make_incident(plant.agent)
    assert first.number == "INC0001001"
    assert second.number == "INC0001002"


def test_a_rolled_back_number_is_handed_out_again(db: None) -> None:
    with transaction.atomic():
        taken = next_number("TST")

    def take_and_abort() -> None:
        with transaction.atomic():
            next_number("TST")
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        take_and_abort()
    with transaction.atomic():
        assert next_number("TST") == f"TST{int(taken[3:]) + 1:07d}"
