"""Field types for the API's request schemas that read JSON as their documented JSON Schema says."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def _json_integer(value: Any) -> Any:
    # JSON Schema's "integer" is any number without a fraction, 3.0 included; true and "3" are not numbers.
    # pydantic's strict int refuses 3.0, its lax int takes true and "3": this is neither.
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# Put it after any Field(ge=..., le=...) in an Annotated: constraints that follow a before-validator are
# written into the JSON Schema as "ge"/"le", which no client reads, instead of "minimum"/"maximum".
WHOLE_NUMBER = BeforeValidator(_json_integer)
JsonInt = Annotated[int, WHOLE_NUMBER]
