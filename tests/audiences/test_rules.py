"""Validating and describing audience rules: errors name their path in the tree; ids must be the organisation's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from syllabus.accounts.models import AttributeDefinition
from syllabus.audiences import rules
from tests.audiences.conftest import make_audience
from tests.factories import AttributeDefinitionFactory, JobRoleFactory, LocationFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db


def errors_of(tree, world, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        rules.validate(tree, organization=world.org, **kwargs)
    return caught.value.message_dict


@pytest.fixture
def grade(world):
    return AttributeDefinitionFactory(
        organization=world.org, key="grade", label="Grade", type=AttributeDefinition.Type.CHOICE, choices=["A", "B"]
    )


@pytest.fixture
def fte(world):
    return AttributeDefinitionFactory(
        organization=world.org, key="fte", label="FTE", type=AttributeDefinition.Type.NUMBER
    )


def test_a_valid_tree_is_stored_normalised(world, grade, fte):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    cleaned = rules.validate(
        {
            "all": [
                {"org_unit": world.sales.pk},
                {"job_role": nurse.pk},
                {"attribute": {"key": "fte", "op": "gte", "value": "0.5"}},
                {"not": {"hire_date": {"within_days": 30}}},
            ]
        },
        organization=world.org,
    )
    assert cleaned.tree == {
        "all": [
            {"org_unit": world.sales.pk, "include_sub_units": True},
            {"job_role": [nurse.pk]},
            {"attribute": {"key": "fte", "op": "gte", "value": 0.5}},
            {"not": {"hire_date": {"within_days": 30}}},
        ]
    }
    assert cleaned.is_time_based
    assert cleaned.references == frozenset()


def test_errors_name_the_path_of_each_bad_node(world, grade):
    errors = errors_of(
        {
            "all": [
                {"job_role": []},
                {"attribute": {"key": "grade", "op": "eq", "value": "Z"}},
                {"any": [{"hire_date": {"before": "yesterday"}}, {"wat": 1}]},
                {"not": {"location": ["x"]}},
            ]
        },
        world,
    )
    assert errors == {
        "rules.all[0].job_role": [rules.NOT_ID_LIST],
        "rules.all[1].attribute.value": ["'Z' is not one of: A, B."],
        "rules.all[2].any[0].hire_date.before": [rules.NOT_A_DATE],
        "rules.all[2].any[1]": [rules.UNKNOWN_NODE],
        "rules.all[3].not.location": [rules.NOT_ID_LIST],
    }


@pytest.mark.parametrize(
    ("tree", "path", "message"),
    [
        ([], "rules", rules.NOT_AN_OBJECT),
        ({"all": [], "any": []}, "rules", rules.UNKNOWN_NODE),
        ({"all": {}}, "rules.all", rules.NOT_A_LIST),
        ({"org_unit": True}, "rules.org_unit", rules.NOT_AN_ID),
        ({"org_unit": 1, "include_sub_units": "yes"}, "rules.include_sub_units", rules.NOT_A_BOOLEAN),
        ({"org_unit": 1, "extra": 2}, "rules", rules.UNEXPECTED_KEYS.format(keys="extra")),
        ({"hire_date": {"before": "2024-01-01", "after": "2023-01-01"}}, "rules.hire_date", rules.HIRE_DATE_ONE_MODE),
        ({"hire_date": {"within_days": -1}}, "rules.hire_date.within_days", rules.NOT_DAYS),
        ({"hire_date": {"within_days": "30"}}, "rules.hire_date.within_days", rules.NOT_DAYS),
        ({"attribute": {"key": "nope", "op": "eq", "value": 1}}, "rules.attribute.key", "No custom attribute"),
        ({"attribute": {"key": "grade", "op": "lt", "value": "A"}}, "rules.attribute.op", "does not apply to a choice"),
        ({"attribute": {"key": "grade", "op": "like", "value": "A"}}, "rules.attribute.op", "Unknown operator"),
        ({"attribute": {"key": "grade", "op": "in", "value": "A"}}, "rules.attribute.value", rules.NOT_A_VALUE_LIST),
        (
            {"attribute": {"key": "grade", "op": "is_set", "value": "A"}},
            "rules.attribute.value",
            rules.NO_VALUE_FOR_IS_SET,
        ),
        ({"attribute": {"key": "grade", "op": "eq"}}, "rules.attribute.value", rules.VALUE_REQUIRED),
        ({"attribute": {"key": "fte", "op": "gt", "value": "lots"}}, "rules.attribute.value", "Expected a number"),
        ({"attribute": {"key": "fte", "op": "in", "value": [1, "x"]}}, "rules.attribute.value[1]", "Expected a number"),
    ],
)
def test_each_kind_of_mistake_is_reported_at_its_path(world, grade, fte, tree, path, message):
    errors = errors_of(tree, world)
    assert path in errors, errors
    assert any(message in text for text in errors[path]), errors


def test_nesting_and_size_are_bounded(world):
    deep: dict = {"job_role": [1]}
    for _ in range(rules.MAX_DEPTH + 1):
        deep = {"not": deep}
    assert any(rules.TOO_DEEP in messages for messages in errors_of(deep, world).values())
    big = {"any": [{"hire_date": {"within_days": 1}}] * (rules.MAX_NODES + 1)}
    assert errors_of(big, world) == {"rules": [rules.TOO_BIG]}


def test_ids_of_another_organisation_are_refused_like_unknown_ones(world):
    other_unit = OrgUnitFactory(organization=world.other_org)
    other_role = JobRoleFactory(organization=world.other_org)
    other_location = LocationFactory(organization=world.other_org)
    other_attribute = AttributeDefinitionFactory(organization=world.other_org, key="secret")
    other_audience = make_audience(world, "Ours", {"all": []})
    other_audience.organization = world.other_org
    other_audience.save()
    errors = errors_of(
        {
            "any": [
                {"org_unit": other_unit.pk},
                {"job_role": [other_role.pk]},
                {"location": [other_location.pk]},
                {"attribute": {"key": other_attribute.key, "op": "is_set"}},
                {"audience": other_audience.pk},
            ]
        },
        world,
    )
    assert errors == {
        "rules.any[0].org_unit": [rules.UNKNOWN_ID.format(kind="org unit", id=other_unit.pk)],
        "rules.any[1].job_role": [rules.UNKNOWN_ID.format(kind="job role", id=other_role.pk)],
        "rules.any[2].location": [rules.UNKNOWN_ID.format(kind="location", id=other_location.pk)],
        "rules.any[3].attribute.key": [rules.UNKNOWN_ATTRIBUTE.format(key="secret")],
        "rules.any[4].audience": [rules.UNKNOWN_ID.format(kind="audience", id=other_audience.pk)],
    }


def test_an_audience_cannot_include_itself_or_make_a_cycle(world):
    a = make_audience(world, "A", {"all": []})
    b = make_audience(world, "B", {"audience": a.pk})
    c = make_audience(world, "C", {"any": [{"audience": b.pk}]})
    assert errors_of({"audience": a.pk}, world, audience_id=a.pk) == {"rules.audience": [rules.SELF_REFERENCE]}
    assert errors_of({"not": {"audience": c.pk}}, world, audience_id=a.pk) == {
        "rules.not.audience": [rules.REFERENCE_CYCLE.format(id=c.pk)]
    }
    # The same reference is fine from an audience outside the chain.
    assert rules.validate({"audience": c.pk}, organization=world.org).references == {c.pk}


def test_audience_chains_are_bounded(world):
    previous = make_audience(world, "Level 0", {"all": []})
    for level in range(1, rules.MAX_REFERENCE_DEPTH + 1):
        previous = make_audience(world, f"Level {level}", {"audience": previous.pk})
    assert errors_of({"audience": previous.pk}, world) == {"rules.audience": [rules.REFERENCE_TOO_DEEP]}


def test_a_rule_is_described_in_words_with_the_names_of_what_it_names(world, grade):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    leeds = LocationFactory(organization=world.org, name="Leeds")
    base = make_audience(world, "Everyone", {"all": []})
    tree = rules.validate(
        {
            "all": [
                {"org_unit": world.sales.pk},
                {"org_unit": world.hq.pk, "include_sub_units": False},
                {"any": [{"job_role": [nurse.pk]}, {"location": [leeds.pk]}]},
                {"not": {"hire_date": {"within_days": 30}}},
                {"hire_date": {"after": "2020-01-01"}},
                {"attribute": {"key": "grade", "op": "in", "value": ["A", "B"]}},
                {"audience": base.pk},
            ]
        },
        organization=world.org,
    ).tree
    described = rules.describe(tree, organization=world.org)
    assert described.text == "All of:"
    assert [child.text for child in described.children] == [
        "Department is Sales or below",
        "Department is Acme HQ (not its sub-units)",
        "Any of:",
        "Not: Hired within the last 30 days",
        "Hired after 2020-01-01",
        "Grade is one of A, B",
        "Member of the audience Everyone",
    ]
    assert [child.text for child in described.children[2].children] == [
        "Job role is one of: Nurse",
        "Location is one of: Leeds",
    ]


def test_describing_costs_a_constant_number_of_queries(world, grade, django_assert_max_num_queries):
    roles = [JobRoleFactory(organization=world.org) for _ in range(5)]
    tree = {
        "any": [{"job_role": [role.pk]} for role in roles] + [{"org_unit": world.sales.pk, "include_sub_units": True}]
    }
    with django_assert_max_num_queries(5):
        rules.describe(tree, organization=world.org)
