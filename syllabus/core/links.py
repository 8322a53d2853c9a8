"""Addresses reversed once and reused. A `reverse()` costs ~40 µs, and a page of many rows (or a menu drawn twice)
called it dozens of times for addresses that differ only by an id, or not at all."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Reversed in place of an id, then cut out of the address.
_STAND_IN = 918273645
_KEPT: dict[tuple[object, ...], str] = {}


def _kept(name: str, args: tuple[object, ...]) -> str:
    # An address changes only with the URLconf, the script prefix or the language: they are part of the key.
    key = (name, args, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), get_language())
    found = _KEPT.get(key)
    if found is None:
        found = _KEPT[key] = reverse(name, args=list(args) or None)
    return found


def address(name: str) -> str:
    """`reverse(name)` of a URL that takes no arguments, kept for the process."""
    return _kept(name, ())


def by_id(name: str, *args: object) -> Callable[[int], str]:
    """A function from an id to `reverse(name, args=[*args, id])`, reversed once: kept for the process when there
    are no other `args` (with them, e.g. a course's id, not kept: the cache would grow with the data). Raises
    NoReverseMatch as `reverse` does."""
    pattern = reverse(name, args=[*args, _STAND_IN]) if args else _kept(name, (_STAND_IN,))
    # Around the last stand-in: the id is the last argument, and a script prefix could hold the same digits.
    before, _found, after = pattern.rpartition(str(_STAND_IN))
    return lambda pk: f"{before}{int(pk)}{after}"
