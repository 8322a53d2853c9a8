"""Import/export formats: one folder each, registered by `load()` (see base.py and README.md)."""

from __future__ import annotations

import importlib

FORMATS: tuple[str, ...] = ("gift", "moodlexml", "aiken", "qti2", "qti12")


def load() -> None:
    for key in FORMATS:
        _import(f"syllabus.assessment.formats.{key}.format")


def _import(module: str) -> None:
    # A plugin folder that is not there is skipped (a test asserts every listed one registers); any other
    # import error inside a plugin is a bug and propagates.
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
