"""(being written)"""

from __future__ import annotations


def connect() -> None:
    return None
