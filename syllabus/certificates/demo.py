"""(being written)"""

from __future__ import annotations


def register_demo() -> None:
    return None
