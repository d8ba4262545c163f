"""Validation of class-specific attributes against the class's schema."""

from __future__ import annotations

from typing import Any

from plantdesk.core.errors import FieldError

TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def validate_attributes(schema: dict[str, Any], values: Any) -> list[FieldError]:
    """Field errors for unknown attributes, wrong types, values outside a choice list, missing required ones."""
    if not isinstance(values, dict):
        return [FieldError("attributes", "Must be an object.")]
    errors: list[FieldError] = []
    for name, value in values.items():
        spec = schema.get(name)
        if spec is None:
            errors.append(FieldError(f"attributes.{name}", "Unknown attribute for this class."))
            continue
        kind = spec.get("type", "string")
        if value is None:
            continue
        if kind == "choice":
            if value not in spec.get("choices", []):
                errors.append(FieldError(f"attributes.{name}", f"Must be one of {', '.join(spec['choices'])}."))
        elif (isinstance(value, bool) and kind != "boolean") or not isinstance(value, TYPES.get(kind, (str,))):
            article = "an" if kind[0] in "aeiou" else "a"
            errors.append(FieldError(f"attributes.{name}", f"Must be {article} {kind}."))
        elif isinstance(value, str) and len(value) > 1000:
            errors.append(FieldError(f"attributes.{name}", "At most 1000 characters."))
    for name, spec in schema.items():
        if spec.get("required") and values.get(name) in (None, ""):
            errors.append(FieldError(f"attributes.{name}", "This attribute is required for this class."))
    return errors
