"""Reminders and escalations (placeholder until the reminders step lands: sends nothing)."""

from __future__ import annotations

from typing import Any


def send_for_program(program: Any) -> dict[str, int]:
    return {}
