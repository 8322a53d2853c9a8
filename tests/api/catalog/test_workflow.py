"""The whole journey through the API alone: an instructor builds a course and submits it, a reviewer approves it,
and a learner finds it in the catalog by searching a word of its page and opens it."""

from __future__ import annotations

import pytest

from syllabus.audit.models import AuditRecord
from syllabus.catalog import events
from syllabus.core import events as core_events
from tests.api.catalog.conftest import CATALOG, COURSES, REVIEWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_events():  # type: ignore[no-untyped-def]
    received: list[events.CoursePublished] = []
    core_events.subscribe(events.CoursePublished, received.append)
    yield received
    core_events.unsubscribe(events.CoursePublished, received.append)


def test_create_build_submit_approve_and_find_in_the_catalog(
    world, as_member, django_capture_on_commit_callbacks, published_events
):
    author = as_member(world.instructor)

    created = author.post(
        COURSES, {"title": "Working at height", "summary": "Ladders and harnesses.", "tags": ["safety"]}, format="json"
    )
    assert created.status_code == 201, created.json()
    course_id = created.json()["id"]
    section = author.post(f"{COURSES}{course_id}/sections/", {"title": "Ladders"}, format="json")
    assert section.status_code == 201, section.json()
    activity = author.post(
        f"{COURSES}{course_id}/activities/",
        {
            "section": section.json()["uid"],
            "kind": "page",
            "title": "Three points of contact",
            "body": "<p>Keep three points of contact with the scaffolding at all times.</p>",
            "duration_minutes": 5,
        },
        format="json",
    )
    assert activity.status_code == 201, activity.json()
    learner = as_member(world.learner)
    assert learner.get(f"{CATALOG}{course_id}/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        submitted = author.post(f"{COURSES}{course_id}/submit/", {"notes": "First version."}, format="json")
    assert submitted.status_code == 201, submitted.json()
    review_id = submitted.json()["id"]

    reviewer = as_member(world.reviewer)
    assert [row["id"] for row in reviewer.get(REVIEWS).json()["results"]] == [review_id]
    detail = reviewer.get(f"{REVIEWS}{review_id}/").json()
    assert {change["action"] for change in detail["changes"]} >= {"added"}
    with django_capture_on_commit_callbacks(execute=True):
        approved = reviewer.post(f"{REVIEWS}{review_id}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["version"]["label"] == "1.0"
    assert AuditRecord.objects.filter(action="course.published").exists()
    assert [(event.course_id, event.major, event.minor) for event in published_events] == [(course_id, 1, 0)]

    catalog = learner.get(CATALOG).json()
    assert [row["id"] for row in catalog["results"]] == [course_id]
    found = learner.get(CATALOG, {"q": "scaffolding"}).json()
    assert [row["title"] for row in found["results"]] == ["Working at height"]
    assert found["results"][0]["rank"] > 0
    page = learner.get(f"{CATALOG}{course_id}/").json()
    assert page["version"] == "1.0"
    assert [a["title"] for a in page["sections"][0]["activities"]] == ["Three points of contact"]
    assert author.get(f"{COURSES}{course_id}/").json()["state"] == "published"
