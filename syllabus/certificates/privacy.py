"""(being written)"""

from __future__ import annotations

from typing import Any

AUDIT_ACTIONS: tuple[tuple[str, Any], ...] = ()


def export_person(user: Any, organization: Any) -> dict[str, Any]:
    return {}


def erase_person(user: Any, by: Any) -> None:
    return None
