"""The compiled SQL of a rule matches exactly the people a plain Python reading of the same rule matches.

Hypothesis builds random rule trees (every leaf kind, AND / OR / NOT, audience-of-audience) over a small varied
population, with people lacking values, inactive people and another organisation's people mixed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syllabus.accounts.models import Membership
from syllabus.audiences import rules
from tests.audiences.conftest import GRADES, NOW, Population, make_audience

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
DAYS = [TODAY + dt.timedelta(days=offset) for offset in (-800, -365, -31, -30, -29, -5, 0, 3)]


def evaluate(node: dict[str, Any], person: Membership, population: Population) -> bool:
    """The meaning of a stored rule for one person, written independently of the SQL compiler."""
    if "all" in node:
        return all(evaluate(child, person, population) for child in node["all"])
    if "any" in node:
        return any(evaluate(child, person, population) for child in node["any"])
    if "not" in node:
        return not evaluate(node["not"], person, population)
    if "org_unit" in node:
        if person.org_unit is None:
            return False
        if not node["include_sub_units"]:
            return person.org_unit_id == node["org_unit"]
        unit = next(u for u in population.units if u.pk == node["org_unit"])
        return person.org_unit.path.startswith(unit.path)
    if "job_role" in node:
        return person.job_role_id in node["job_role"]
    if "location" in node:
        return person.location_id in node["location"]
    if "hire_date" in node:
        if person.hire_date is None:
            return False
        condition = node["hire_date"]
        if "before" in condition:
            return person.hire_date < dt.date.fromisoformat(condition["before"])
        if "after" in condition:
            return person.hire_date > dt.date.fromisoformat(condition["after"])
        return TODAY - dt.timedelta(days=condition["within_days"]) <= person.hire_date <= TODAY
    if "attribute" in node:
        condition = node["attribute"]
        key, op, value = condition["key"], condition["op"], condition.get("value")
        if op == "neq":
            return not evaluate({"attribute": {**condition, "op": "eq"}}, person, population)
        if key not in person.attributes:
            return False
        actual = person.attributes[key]
        if op == "is_set":
            return True
        if op == "eq":
            return actual == value
        if op == "in":
            return actual in value
        if op == "contains":
            return value.lower() in actual.lower()
        return {"lt": actual < value, "lte": actual <= value, "gt": actual > value, "gte": actual >= value}[op]
    if "audience" in node:
        audience = next(a for a in population.audiences if a.pk == node["audience"])
        return evaluate(audience.rules, person, population)
    raise AssertionError(node)


def leaves(population: Population) -> st.SearchStrategy[dict[str, Any]]:
    unit_ids = [unit.pk for unit in population.units]
    role_ids = [role.pk for role in population.job_roles]
    location_ids = [location.pk for location in population.locations]
    dates = st.sampled_from(DAYS).map(dt.date.isoformat)
    fte = st.sampled_from([0.5, 0.8, 1, 2, 1.5])
    text = st.sampled_from(["red", "Team", "green", "x", "Red team"])
    attribute = st.one_of(
        st.builds(lambda op: {"key": "grade", "op": op}, st.just("is_set")),
        st.builds(
            lambda op, v: {"key": "grade", "op": op, "value": v},
            st.sampled_from(["eq", "neq"]),
            st.sampled_from(GRADES),
        ),
        st.builds(
            lambda v: {"key": "grade", "op": "in", "value": v},
            st.lists(st.sampled_from(GRADES), min_size=1, max_size=2),
        ),
        st.builds(
            lambda op, v: {"key": "fte", "op": op, "value": v},
            st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"]),
            fte,
        ),
        st.builds(lambda v: {"key": "fte", "op": "in", "value": v}, st.lists(fte, min_size=1, max_size=3)),
        st.builds(
            lambda op, v: {"key": "team", "op": op, "value": v}, st.sampled_from(["eq", "neq", "contains"]), text
        ),
        st.builds(
            lambda op, v: {"key": "contract_end", "op": op, "value": v},
            st.sampled_from(["eq", "lt", "lte", "gt", "gte"]),
            dates,
        ),
        st.builds(lambda op: {"key": "odd__key", "op": op, "value": "x"}, st.sampled_from(["eq", "neq"])),
        st.builds(lambda op: {"key": "odd__key", "op": op}, st.just("is_set")),
    )
    return st.one_of(
        st.builds(lambda pk, sub: {"org_unit": pk, "include_sub_units": sub}, st.sampled_from(unit_ids), st.booleans()),
        st.builds(lambda ids: {"job_role": ids}, st.lists(st.sampled_from(role_ids), min_size=1, max_size=2)),
        st.builds(lambda ids: {"location": ids}, st.lists(st.sampled_from(location_ids), min_size=1, max_size=2)),
        st.builds(lambda d: {"hire_date": {"before": d}}, dates),
        st.builds(lambda d: {"hire_date": {"after": d}}, dates),
        st.builds(lambda n: {"hire_date": {"within_days": n}}, st.sampled_from([0, 1, 5, 29, 30, 31, 365])),
        st.builds(lambda a: {"attribute": a}, attribute),
        st.builds(lambda pk: {"audience": pk}, st.sampled_from([a.pk for a in population.audiences])),
    )


def trees(population: Population) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(population),
        lambda children: st.one_of(
            st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
            st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
            st.builds(lambda c: {"not": c}, children),
        ),
        max_leaves=8,
    )


@pytest.fixture
def referenced(world, population: Population, moved_clock) -> Population:
    """Two saved audiences that generated rules can include (one includes the other)."""
    nurses = make_audience(world, "Nurses", {"job_role": [population.job_roles[0].pk]})
    new_or_north = make_audience(
        world,
        "New starters or North",
        {"any": [{"hire_date": {"within_days": 30}}, {"audience": nurses.pk}, {"org_unit": population.units[4].pk}]},
    )
    population.audiences = [nurses, new_or_north]
    return population


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_rule_matches_the_same_people_as_the_python_reading(referenced: Population, data) -> None:
    population = referenced
    tree = data.draw(trees(population))
    cleaned = rules.validate(tree, organization=population.org)
    matched = set(rules.matching_memberships(cleaned.tree, organization=population.org).values_list("pk", flat=True))
    everyone = Membership.objects.filter(organization=population.org, is_active=True).select_related("org_unit")
    expected = {person.pk for person in everyone if evaluate(cleaned.tree, person, population)}
    assert matched == expected


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_not_is_the_exact_complement_among_active_members(referenced: Population, data) -> None:
    population = referenced
    tree = rules.validate(data.draw(trees(population)), organization=population.org).tree
    yes = set(rules.matching_memberships(tree, organization=population.org).values_list("pk", flat=True))
    no = set(rules.matching_memberships({"not": tree}, organization=population.org).values_list("pk", flat=True))
    active = set(Membership.objects.filter(organization=population.org, is_active=True).values_list("pk", flat=True))
    assert yes | no == active
    assert not yes & no
