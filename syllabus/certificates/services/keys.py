"""Signing keys (being written)."""

from __future__ import annotations

from typing import Any

AUDIT_ACTIONS: tuple[tuple[str, Any], ...] = ()
