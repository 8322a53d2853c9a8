"""/api/v1/certificates/awards/: create, read, change, delete, and issue for earlier completions — the service's
words on the API's field names, and every attacker refused."""

from __future__ import annotations

import datetime as dt

import pytest

from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.services import awards as services
from tests.api.conftest import V1, TokenClient, error_fields
from tests.certificates.conftest import NOW, finish, make_course
from tests.certificates.people_fixtures import issue
from tests.conftest import World
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

BASE = f"{V1}/certificates/awards"


def test_an_officer_creates_reads_and_changes_an_award(
    world: World, officer, course, template, as_member: TokenClient
) -> None:
    client = as_member(officer)
    created = client.post(f"{BASE}/", {"source": "course", "course": course.pk, "remind_days": [7, 30]}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["course"] == {"id": course.pk, "title": "Anti-bribery"} and body["program"] is None
    assert body["template"]["id"] == template.pk and body["remind_days"] == [30, 7] and body["issued_count"] == 0
    pk = body["id"]
    changed = client.patch(f"{BASE}/{pk}/", {"issue_badge": False, "criteria": "Pass the quiz."}, format="json")
    assert changed.status_code == 200
    assert changed.json()["issue_badge"] is False and changed.json()["remind_days"] == [30, 7]
    assert client.get(f"{BASE}/{pk}/").json()["criteria"] == "Pass the quiz."
    listing = client.get(f"{BASE}/").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == pk


def test_refusals_name_the_api_fields(world: World, officer, template, as_member: TokenClient) -> None:
    client = as_member(officer)
    foreign = CourseFactory(organization=world.other_org)
    response = client.post(
        f"{BASE}/",
        {"source": "course", "course": foreign.pk, "remind_days": [0, 7], "template": 999999},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "course": services.COURSE_NOT_AVAILABLE,
        "template": services.TEMPLATE_NOT_AVAILABLE,
        "remind_days": services.REMIND_DAYS_RANGE.format(low=1, high=365),
    }
    assert error_fields(client.post(f"{BASE}/", {"source": "program"}, format="json")) == {
        "program": services.PROGRAM_REQUIRED
    }
    assert error_fields(client.post(f"{BASE}/", {"source": "<b>course</b>"}, format="json")) == {
        "source": services.SOURCE_CHOICE
    }
    assert client.post(f"{BASE}/", ["course"], format="json").status_code == 400
    assert client.post(f"{BASE}/", {"source": "course", "course": "1; DROP"}, format="json").status_code == 400
    too_many = client.post(f"{BASE}/", {"source": "course", "remind_days": [1, 2, 3, 4, 5, 6]}, format="json")
    assert error_fields(too_many)["remind_days"] == services.REMIND_DAYS_TOO_MANY.format(limit=5)
    assert not Award.objects.exists()


def test_nobody_else_reaches_awards(world: World, award, as_member: TokenClient) -> None:
    for person in (world.learner, world.manager, world.instructor):
        client = as_member(person)
        assert client.get(f"{BASE}/").status_code == 403
        assert (
            client.post(f"{BASE}/", {"source": "course", "course": award.course_id}, format="json").status_code == 403
        )
        assert client.get(f"{BASE}/{award.pk}/").status_code == 403
        assert client.post(f"{BASE}/{award.pk}/backfill/").status_code == 403
    outsider = as_member(world.outsider)  # an admin of another organisation
    assert outsider.get(f"{BASE}/{award.pk}/").status_code == 404
    assert outsider.patch(f"{BASE}/{award.pk}/", {"enabled": False}, format="json").status_code == 404
    assert outsider.delete(f"{BASE}/{award.pk}/").status_code == 404
    assert outsider.post(f"{BASE}/{award.pk}/backfill/").status_code == 404
    award.refresh_from_db()
    assert award.enabled


def test_delete_removes_an_unused_award_and_disables_a_used_one(
    world: World, award, officer, as_member: TokenClient, moved_clock
) -> None:
    client = as_member(officer)
    spare = Award.objects.create(
        organization=world.org, source="course", course=make_course(world, "Spare"), template=award.template
    )
    assert client.delete(f"{BASE}/{spare.pk}/").status_code == 204
    issue(world.learner, award)
    kept = client.delete(f"{BASE}/{award.pk}/")
    assert kept.status_code == 200 and kept.json()["enabled"] is False and kept.json()["issued_count"] == 1


def test_backfill_counts_then_issues_once(world: World, award, officer, as_member: TokenClient, moved_clock) -> None:
    finish(world.learner, award.course, NOW - dt.timedelta(days=2))
    finish(world.report, award.course, NOW - dt.timedelta(days=1))
    client = as_member(officer)
    assert client.get(f"{BASE}/{award.pk}/backfill/").json() == {"count": 2}
    assert client.post(f"{BASE}/{award.pk}/backfill/").json() == {"issued": 2, "skipped": 0}
    assert client.post(f"{BASE}/{award.pk}/backfill/").json() == {"issued": 0, "skipped": 0}
    assert Certificate.objects.filter(award=award).count() == 2
    client.patch(f"{BASE}/{award.pk}/", {"enabled": False}, format="json")
    disabled = client.post(f"{BASE}/{award.pk}/backfill/")
    assert disabled.status_code == 400 and disabled.json()["error"]["message"] == services.BACKFILL_DISABLED


@pytest.mark.parametrize("awards", [2, 10])
def test_the_list_costs_the_same_queries_at_any_size(
    world: World, officer, template, as_member: TokenClient, django_assert_max_num_queries, awards: int
) -> None:
    for index in range(awards):
        Award.objects.create(
            organization=world.org, source="course", course=make_course(world, f"Course {index}"), template=template
        )
    client = as_member(officer)
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}/").json()["count"] == awards
