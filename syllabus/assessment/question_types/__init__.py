"""Question type plugins: one folder each, registered by `load()` (see base.py and README.md)."""

from __future__ import annotations

import importlib

# The order the author's "new question" menu lists them in.
TYPES: tuple[str, ...] = (
    "single",
    "multiple",
    "truefalse",
    "shortanswer",
    "numerical",
    "matching",
    "ordering",
    "gapselect",
    "ddwtos",
    "cloze",
    "calculated",
    "essay",
    "description",
)


def load() -> None:
    for key in TYPES:
        _import(f"syllabus.assessment.question_types.{key}.qtype")


def _import(module: str) -> None:
    # A plugin folder that is not there is skipped (a test asserts every listed one registers); any other
    # import error inside a plugin is a bug and propagates.
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
