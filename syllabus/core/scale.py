"""Scale-data generators that apps add to `manage.py generate_scale` without accounts knowing them.

`generate_scale` (accounts) builds the organisation and its people; an app that has scale data of its own
(courses, enrollments...) registers a generator from its AppConfig.ready():

    scale.register(scale.ScaleGenerator(option="courses", help="How many published courses.", build=build_courses))

`generate_scale` then takes `--courses N` and, after the people, calls `build(context, N)` for every generator
whose option was given, in registration order. A generator with `choices` takes one of them instead of a number
(`--course-size L` calls `build(context, "L")`). Kept in core so accounts imports no later app (DESIGN.md §3).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class ScaleContext:
    """What a generator builds on: the organisation (accounts.Organization), a seeded random generator, options."""

    organization: Any
    random: random.Random
    batch_size: int
    # Append one line each for the command's summary ("10,000 courses in 42.0 s").
    report: list[str]


@dataclass(frozen=True)
class ScaleGenerator:
    option: str  # the command-line option, without the leading dashes: "courses" for --courses
    help: str
    build: Callable[[ScaleContext, Any], None]  # called with the number given, or the choice when `choices`
    choices: tuple[str, ...] = ()  # empty: the option takes a number

    @property
    def dest(self) -> str:
        """The option's key in the command's options ("course-size" -> "course_size", as argparse names it)."""
        return self.option.replace("-", "_")


_GENERATORS: dict[str, ScaleGenerator] = {}


def register(generator: ScaleGenerator) -> None:
    _GENERATORS[generator.option] = generator


def generators() -> list[ScaleGenerator]:
    return list(_GENERATORS.values())
