"""The registry of demo-data steps that `manage.py seed_demo` runs after it has built the demo organisations.

The accounts app owns the command and the people; every other app adds its part of the demo (courses, audiences,
and later enrolments, quizzes, programmes) by registering a step in its AppConfig.ready():

    from syllabus.core import demo
    demo.register("catalog", seed_catalog, reset=reset_catalog)

`step(organizations, admin, stdout) -> int` receives the demo organisations by slug ("northwind", "contoso"), the
platform admin and the command's output stream, and returns how many rows it created. Steps run in registration
order (the order of INSTALLED_APPS), so a step may use what an earlier app's step made. Each step must be
idempotent: look its rows up by a natural key and create only what is missing.

`reset(organizations)` runs before `--reset` deletes the demo organisations, for rows the organisation's cascade
cannot delete on its own (PROTECT foreign keys) or files in storage. Resets run in reverse registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class Output(Protocol):
    """Where a step reports what it did: the command's stdout (Django's OutputWrapper) or any text stream."""

    def write(self, msg: str, /) -> Any: ...


# Organisations are typed loosely: core imports no Syllabus app (accounts.Organization and accounts.User here).
Organizations = Mapping[str, Any]
Step = Callable[[Organizations, Any, Output], int]
Reset = Callable[[Organizations], None]


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Step
    reset: Reset | None = None


_STEPS: dict[str, DemoStep] = {}


def register(name: str, step: Step, *, reset: Reset | None = None) -> None:
    """Add a step (registering a name again replaces it in place, so a reloaded app does not run twice)."""
    _STEPS[name] = DemoStep(name=name, run=step, reset=reset)


def unregister(name: str) -> None:
    _STEPS.pop(name, None)


def steps() -> list[DemoStep]:
    return list(_STEPS.values())


def run_all(organizations: Organizations, admin: Any, stdout: Output) -> int:
    """Run every step in registration order; returns the rows they created together."""
    return sum(step.run(organizations, admin, stdout) for step in steps())


def reset_all(organizations: Organizations) -> None:
    """Let every step clean up before the demo organisations are deleted (later steps first)."""
    for step in reversed(steps()):
        if step.reset is not None:
            step.reset(organizations)


@contextmanager
def suspended() -> Iterator[None]:
    """Run `seed_demo` without the registered steps inside this block (tests of the accounts part alone)."""
    saved = dict(_STEPS)
    _STEPS.clear()
    try:
        yield
    finally:
        _STEPS.clear()
        _STEPS.update(saved)


@contextmanager
def only(*names: str) -> Iterator[None]:
    """Run `seed_demo` with just the steps `names` (in their registered order) inside this block: tests of one
    app's part of the demo skip the later apps' steps, which would only make them slow."""
    saved = dict(_STEPS)
    unknown = set(names) - set(saved)
    if unknown:
        raise ValueError(f"no demo step named {', '.join(sorted(unknown))}")
    _STEPS.clear()
    _STEPS.update({name: step for name, step in saved.items() if name in names})
    try:
        yield
    finally:
        _STEPS.clear()
        _STEPS.update(saved)


def through(name: str) -> list[str]:
    """The names of the steps up to and including `name`, in order (what `name`'s step may build on)."""
    names = [step.name for step in steps()]
    return names[: names.index(name) + 1]
