"""/api/v1/compliance/programs/...: create, read, change with preview, activate, archive, assignments — and who
may do which, from the attacker's side."""

from __future__ import annotations

import pytest

from syllabus.compliance import evaluation
from syllabus.compliance.models import Program
from tests.api.conftest import V1, TokenClient, error_fields
from tests.compliance.conftest import Builder, Clock, make_course
from tests.conftest import World
from tests.factories import MembershipFactory

BASE = f"{V1}/compliance"


def _payload(sales, course, **overrides):
    data = {
        "name": "Forklift safety",
        "audience": sales.pk,
        "requirement": "course",
        "courses": [course.pk],
        "due_rule": "after_assignment",
        "due_days": 30,
        "valid_months": 12,
        "window_days": 60,
        "enroll": False,
    }
    data.update(overrides)
    return data


def test_an_officer_creates_previews_activates_and_lists_assignments(
    world: World, officer, sales, course, as_member: TokenClient, moved_clock: Clock
) -> None:
    client = as_member(officer)
    preview = client.post(f"{BASE}/programs/preview/", _payload(sales, course), format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["joining"] == 4
    created = client.post(f"{BASE}/programs/", _payload(sales, course), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["courses"] == [{"id": course.pk, "title": course.title}]
    pk = body["id"]
    activated = client.post(f"{BASE}/programs/{pk}/activate/")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    evaluation.evaluate_program(Program.objects.get(pk=pk), full=True)  # queued on commit in real life
    rows = client.get(f"{BASE}/programs/{pk}/assignments/").json()
    assert rows["count"] == 4
    assert {row["status"] for row in rows["results"]} == {"due_soon"}
    detail = client.get(f"{BASE}/assignments/{rows['results'][0]['id']}/").json()
    assert detail["ledger"][0]["reason"] == "assigned"


def test_bad_fields_are_named(world: World, officer, sales, course, as_member: TokenClient) -> None:
    response = as_member(officer).post(
        f"{BASE}/programs/", _payload(sales, course, due_days=None, valid_months=12, window_days=400), format="json"
    )
    assert response.status_code == 400
    fields = error_fields(response)
    assert "due_days" in fields


def test_a_change_is_previewed_then_saved(
    world: World, officer, sales, course, build: Builder, as_member: TokenClient, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_member(officer)
    preview = client.post(f"{BASE}/programs/preview/", {"program": program.pk, "due_days": 5}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["due_changes"] + sum(c["count"] for c in preview.json()["status_changes"]) == 4
    changed = client.patch(f"{BASE}/programs/{program.pk}/", {"due_days": 5}, format="json")
    assert changed.status_code == 200 and changed.json()["due_days"] == 5
    assert changed.json()["revision"] == program.revision + 1


def test_learners_and_managers_cannot_write_and_outsiders_see_nothing(
    world: World, sales, course, build: Builder, as_member: TokenClient, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    learner = as_member(world.learner)
    assert learner.get(f"{BASE}/programs/").status_code == 403
    assert learner.post(f"{BASE}/programs/", _payload(sales, course), format="json").status_code == 403
    assert learner.post(f"{BASE}/programs/{program.pk}/archive/").status_code == 403
    manager = as_member(world.manager)
    assert manager.post(f"{BASE}/programs/{program.pk}/archive/").status_code == 403
    outsider = as_member(world.outsider)
    assert outsider.get(f"{BASE}/programs/{program.pk}/").status_code == 404
    assert outsider.get(f"{BASE}/programs/{program.pk}/assignments/").status_code == 404


def test_a_manager_sees_only_their_team_and_a_learner_only_themselves(
    world: World, sales, course, build: Builder, as_member: TokenClient, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    rows = as_member(world.manager).get(f"{BASE}/programs/{program.pk}/assignments/").json()["results"]
    assert {row["person"]["name"] for row in rows} == {"Rita Report", "Ivan Indirect"}
    own = program.assignments.get(membership=world.learner)
    other = program.assignments.get(membership=world.report)
    learner = as_member(world.learner)
    assert learner.get(f"{BASE}/assignments/{own.pk}/").status_code == 200
    assert learner.get(f"{BASE}/assignments/{other.pk}/").status_code == 404


@pytest.mark.parametrize("people", [3, 12])
def test_assignment_list_queries_do_not_grow(
    world: World,
    officer,
    sales,
    course,
    build: Builder,
    as_member: TokenClient,
    moved_clock: Clock,
    django_assert_max_num_queries,
    people: int,
) -> None:
    from syllabus.audiences import services as audience_services

    for _ in range(people):
        MembershipFactory(organization=world.org, org_unit=world.sales)
    audience_services.audience_recompute(audience=sales)
    program = build.program(sales, [course, make_course(world, "Spare")], requirement="any")
    client = as_member(officer)
    with django_assert_max_num_queries(12):
        assert client.get(f"{BASE}/programs/{program.pk}/assignments/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"{BASE}/programs/").status_code == 200
