"""Reading an author's input in a kind's `clean`: the same code for a form post (QueryDict) and the API (JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

TRUE_VALUES = frozenset({"on", "true", "1", "yes"})


def text(data: Mapping[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else default
    return str(value).strip()


def flag(data: Mapping[str, Any], name: str, default: bool = False) -> bool:
    if name not in data:
        return default
    value = data.get(name)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def values(data: Mapping[str, Any], name: str) -> list[str]:
    """Every value of a repeated field (checkboxes): a QueryDict's list, a JSON list or one value."""
    getlist = getattr(data, "getlist", None)
    raw: Any = getlist(name) if callable(getlist) else data.get(name, [])
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    return [str(item).strip() for item in raw if str(item).strip()]


def upload(files: Mapping[str, Any], name: str) -> Any:
    """The uploaded file under `name`, or None (an empty file input sends nothing)."""
    value = files.get(name) if files else None
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return value or None


def field_errors(field: str, exc: ValidationError) -> ValidationError:
    """An upload's refusal, put on the author's field."""
    return ValidationError({field: exc.messages})
