"""(being written)"""

from __future__ import annotations

AUDIT_ACTIONS: tuple[tuple[str, str], ...] = ()
