"""The demo registry's `only` and `through`: tests seed just the steps they need, and the registry comes back whole."""

from __future__ import annotations

import pytest

from syllabus.core import demo


def test_only_keeps_the_named_steps_in_their_order_and_puts_every_step_back() -> None:
    everything = [step.name for step in demo.steps()]
    assert everything.index("catalog") < everything.index("assessment")
    with demo.only("assessment", "catalog"):
        assert [step.name for step in demo.steps()] == ["catalog", "assessment"]
    assert [step.name for step in demo.steps()] == everything


def test_only_refuses_a_step_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="no demo step named nonsense"), demo.only("catalog", "nonsense"):
        pass


def test_through_names_a_step_and_every_step_before_it() -> None:
    everything = [step.name for step in demo.steps()]
    assert demo.through("enrollment") == everything[: everything.index("enrollment") + 1]
    assert demo.through(everything[-1]) == everything
