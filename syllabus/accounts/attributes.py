"""Validation of custom person attributes against the organisation's definitions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from syllabus.accounts.models import AttributeDefinition

UNKNOWN_ATTRIBUTE = "Unknown attribute {key!r}: define it under Settings > Custom attributes first."
REQUIRED_ATTRIBUTE = "This attribute is required."
NOT_A_NUMBER = "Expected a number, got {value!r}."
NOT_A_DATE = "Expected a date as YYYY-MM-DD, got {value!r}."
NOT_A_CHOICE = "{value!r} is not one of: {choices}."
TEXT_TOO_LONG = "At most 500 characters."
NOT_TEXT = "Expected text, got {value!r}."


def clean_value(definition: AttributeDefinition, value: Any) -> Any:
    """Return the value in its stored form (numbers as numbers, dates as ISO strings so they sort)."""
    kind = definition.type
    if kind == AttributeDefinition.Type.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(NOT_A_NUMBER.format(value=value))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationError(NOT_A_NUMBER.format(value=value)) from exc
        if not number.is_finite():
            raise ValidationError(NOT_A_NUMBER.format(value=value))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == AttributeDefinition.Type.DATE:
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValidationError(NOT_A_DATE.format(value=value)) from exc
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValidationError(NOT_TEXT.format(value=value))
    text = str(value).strip()
    if kind == AttributeDefinition.Type.CHOICE:
        if text not in definition.choices:
            raise ValidationError(NOT_A_CHOICE.format(value=text, choices=", ".join(definition.choices)))
        return text
    if len(text) > 500:
        raise ValidationError(TEXT_TOO_LONG)
    return text


def clean_attributes(
    definitions: Iterable[AttributeDefinition], values: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate all values at once; the error names every bad key (as field `attributes.<key>`)."""
    by_key = {definition.key: definition for definition in definitions}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None:
            errors[f"attributes.{key}"] = [UNKNOWN_ATTRIBUTE.format(key=key)]
            continue
        if value is None or value == "":
            if definition.required:
                errors[f"attributes.{key}"] = [REQUIRED_ATTRIBUTE]
            continue
        try:
            cleaned[key] = clean_value(definition, value)
        except ValidationError as exc:
            errors[f"attributes.{key}"] = exc.messages
    if not partial:
        for key, definition in by_key.items():
            if definition.required and key not in cleaned and f"attributes.{key}" not in errors:
                errors[f"attributes.{key}"] = [REQUIRED_ATTRIBUTE]
    if errors:
        raise ValidationError(errors)
    return cleaned
