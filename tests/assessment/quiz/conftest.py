"""Quiz-taking fixtures: signed-in page clients, API token clients, and the questions of every type with the words
that must never reach a learner before grading (see test_no_answers_leak.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from syllabus.accounts.models import Membership
from syllabus.catalog import learning
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)

SignIn = Callable[[Membership], Client]


@pytest.fixture(autouse=True)
def fresh_outlines() -> None:
    """The player caches a version's outline by its id and publication time: with the clock frozen at NOW, a
    version of an earlier test (its id reused after the rollback) would otherwise answer for this test's."""
    learning.clear_outline_cache()


@pytest.fixture
def as_person(client: Client) -> SignIn:
    """`as_person(membership)`: the test client signed in as that person (their only organisation is current)."""

    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


# One question of each type: (text, data, words that must not show before grading). Every question also gets the
# general feedback f"<p>GF-secret-{key}</p>". Feedback and right answers are distinctive words found nowhere else.
SAMPLES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "single": (
        "<p>Which exit?</p>",
        {
            "options": [
                {"text": "North door", "fraction": "1", "feedback": "<p>FB-secret-single-right</p>"},
                {"text": "South door", "fraction": "0.5", "feedback": "<p>FB-secret-single-half</p>"},
                {"text": "Lift", "fraction": "0", "feedback": "<p>FB-secret-single-wrong</p>"},
            ],
            "shuffle": True,
            "numbering": "abc",
        },
        ["FB-secret-single"],
    ),
    "multiple": (
        "<p>What does a fire need?</p>",
        {
            "options": [
                {"text": "Heat", "fraction": "0.3333333", "feedback": "<p>FB-secret-multiple</p>"},
                {"text": "Fuel", "fraction": "0.3333333", "feedback": ""},
                {"text": "Oxygen", "fraction": "0.3333333", "feedback": ""},
                {"text": "Water", "fraction": "-0.5", "feedback": "<p>FB-secret-multiple-water</p>"},
            ],
            "shuffle": True,
            "numbering": "abc",
        },
        ["FB-secret-multiple", "0.3333333", "-0.5"],
    ),
    "truefalse": (
        "<p>Smoke rises.</p>",
        {"correct": True, "feedback_true": "<p>FB-secret-tf-yes</p>", "feedback_false": "<p>FB-secret-tf-no</p>"},
        ["FB-secret-tf", '"correct"'],
    ),
    "shortanswer": (
        "<p>Name the assembly island.</p>",
        {
            "answers": [
                {"text": "Zanzibar", "fraction": "1", "feedback": "<p>FB-secret-short</p>"},
                {"text": "Madagascar", "fraction": "0.5", "feedback": ""},
            ],
            "case_sensitive": False,
        },
        ["Zanzibar", "Madagascar", "FB-secret-short"],
    ),
    "numerical": (
        "<p>How long is the hose?</p>",
        {
            "answers": [
                {"value": "7.125", "tolerance": "0.0625", "fraction": "1", "feedback": "<p>FB-secret-num</p>"},
                {"value": "71.25", "tolerance": "0", "fraction": "0.5", "feedback": ""},
            ],
            "units": [{"unit": "furlong", "multiplier": "1"}, {"unit": "chain", "multiplier": "10"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        },
        ["7.125", "71.25", "0.0625", "FB-secret-num", "furlong", "chain"],
    ),
    "matching": (
        "<p>Match each fire with its extinguisher.</p>",
        {
            "pairs": [
                {"prompt": "<p>Wood fire</p>", "answer": "Water"},
                {"prompt": "<p>Electrical fire</p>", "answer": "CO2"},
                {"prompt": "<p>Fat fire</p>", "answer": "Wet chemical"},
                {"prompt": "", "answer": "Sand"},
            ],
            "shuffle": True,
        },
        ['"answer"', '"pairs"'],
    ),
    "ordering": (
        "<p>Put the steps in order.</p>",
        {
            "items": [{"text": "Raise the alarm"}, {"text": "Leave the building"}, {"text": "Gather outside"}],
            "grading": "absolute_position",
        },
        ['"grading"'],
    ),
    "gapselect": (
        "<p>A fire needs [[1]], [[2]] and oxygen; put it out with [[3]].</p>",
        {
            "choices": [
                {"text": "heat", "group": 1},
                {"text": "fuel", "group": 1},
                {"text": "a blanket", "group": 2},
                {"text": "water", "group": 1},
                {"text": "petrol", "group": 2},
            ],
            "shuffle": True,
        },
        ["[[1]]", "[[2]]", "[[3]]", '"group"'],
    ),
    "ddwtos": (
        "<p>[[1]] cat sat on [[2]] mat by [[3]] door.</p>",
        {
            "choices": [
                {"text": "the", "group": 1, "infinite": False},
                {"text": "a", "group": 1, "infinite": True},
                {"text": "my", "group": 1, "infinite": False},
            ],
            "shuffle": True,
        },
        ["[[1]]", "[[2]]", "[[3]]", '"infinite"'],
    ),
    "cloze": (
        "<p>The port is {1:SHORTANSWER:=Quimper#FB-secret-cloze~%50%Brest}, the code is {2:NUMERICAL:=4.75:0.01} and "
        "the colour is {1:MULTICHOICE:=Crimson~Teal#FB-secret-cloze-teal}.</p>",
        {},
        ["Quimper", "Brest", "4.75", "FB-secret-cloze", "SHORTANSWER", "NUMERICAL", "MULTICHOICE", "=Crimson", "%50%"],
    ),
    "calculated": (
        "<p>A room is {a} m by {b} m. What is its area?</p>",
        {
            "answers": [
                {
                    "formula": "{a} * {b}",
                    "fraction": "1",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 2,
                    "feedback": "<p>FB-secret-calc</p>",
                },
                {
                    "formula": "2 * ({a} + {b})",
                    "fraction": "0",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 2,
                    "feedback": "",
                },
            ],
            "variables": [
                {"name": "a", "min": "1", "max": "10", "decimals": 1},
                {"name": "b", "min": "2", "max": "5", "decimals": 2},
            ],
            "units": [{"unit": "m²", "multiplier": "1"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        },
        ["{a}", "{b}", "FB-secret-calc", '"formula"', '"variables"'],
    ),
    "essay": (
        "<p>Describe the evacuation.</p>",
        {
            "response_format": "plain",
            "min_words": 0,
            "max_words": 0,
            "grader_info": "<p>GRADER-secret</p>",
            "template": "",
        },
        ["GRADER-secret"],
    ),
    "description": ("<p>Read the following carefully.</p>", {}, []),
}

# Keys a learner-facing payload never holds before grading, whatever the type.
FORBIDDEN_KEYS = {
    "fraction",
    "fractions",
    "feedback",
    "feedback_true",
    "feedback_false",
    "correct",
    "answer",
    "answers",
    "tolerance",
    "formula",
    "grader_info",
    "general_feedback",
    "right_answer",
    "state",
    "mark",
    "correctness",
}


def keys_in(value: Any) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        found = set(value)
        for item in value.values():
            found |= keys_in(item)
        return found
    if isinstance(value, list):
        found = set()
        for item in value:
            found |= keys_in(item)
        return found
    return set()
