"""/api/v1/enrollments/{id}/progress/, /completions/ and /people/{id}/transcript/: what each person may read, and
that nobody reads another learner's progress or transcript (404, as for an id that does not exist)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from syllabus.accounts.models import Membership
from syllabus.catalog import versions
from syllabus.catalog.events import ActivitySignalled
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from syllabus.progress.models import Completion
from tests.api.conftest import V1, token_for
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, publish, staff

pytestmark = pytest.mark.django_db

Client = Callable[[Membership], APIClient]


@pytest.fixture
def as_member(db: None) -> Client:
    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


def _uids(course: Course) -> list[str]:
    assert course.published_version is not None
    return [a["uid"] for a in versions.activities(course.published_version.snapshot)]


def _signal(course: Course, membership: Membership, uid: str, data: dict[str, object] | None = None) -> None:
    emit(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=course.published_version_id,
            activity_uid=uuid.UUID(uid),
            kind="page",
            signal="viewed",
            user_id=membership.user_id,
            at=clock.now(),
            data=data or {},
        )
    )


def _complete(course: Course, membership: Membership, capture) -> Enrollment:  # type: ignore[no-untyped-def]
    enrollment = enrollment_services.enrollment_self(course=course, by=membership.user)
    with capture(execute=True):
        for uid in _uids(course):
            _signal(course, membership, uid)
    enrollment.refresh_from_db()
    return enrollment


@pytest.fixture
def foreign_course(world: World) -> Course:
    course = CourseFactory(organization=world.other_org, title="Globex onboarding")
    staff(course, world.outsider, "owner")
    ActivityFactory(section=SectionFactory(course=course))
    publish(course, world.outsider.user)
    course.refresh_from_db()
    return course


# --- one enrollment's progress -----------------------------------------------------------------------------------


def test_learner_reads_their_progress_per_activity(
    world: World, published, as_member, django_capture_on_commit_callbacks
) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    first, *_ = _uids(published)
    with django_capture_on_commit_callbacks(execute=True):
        _signal(published, world.learner, first, {"score": 0.8})
    response = as_member(world.learner).get(f"{V1}/enrollments/{enrollment.pk}/progress/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enrollment"] == enrollment.pk and body["course"] == published.pk
    assert [(a["title"], a["state"]) for a in body["activities"]] == [
        ("Welcome", "completed"),
        ("Extinguishers", "not_started"),
        ("Evacuation", "not_started"),
    ]
    assert body["activities"][0]["score"] == 80.0 and body["activities"][0]["completed_at"] is not None
    summary = body["summary"]
    assert summary["status"] == "active" and summary["version"] == "1.0"
    assert summary["progress_percent"] == 33
    assert (summary["activity_count"], summary["completed_count"], summary["required_completed_count"]) == (3, 1, 1)
    assert summary["last_activity_uid"] == first


def test_titles_come_from_the_version_the_learner_follows(world: World, published, as_member) -> None:
    enrollment = enrollment_services.enrollment_self(course=published, by=world.learner.user)
    published.activities.filter(title="Welcome").update(title="Hello")  # a draft change, not published
    body = as_member(world.learner).get(f"{V1}/enrollments/{enrollment.pk}/progress/").json()
    assert body["activities"][0]["title"] == "Welcome"


def test_nobody_reads_another_learners_progress(world: World, published, foreign_course, as_member) -> None:
    theirs = enrollment_services.enrollment_self(course=published, by=world.engineer.user)
    report = enrollment_services.enrollment_self(course=published, by=world.report.user)
    assert as_member(world.learner).get(f"{V1}/enrollments/{theirs.pk}/progress/").status_code == 404
    assert as_member(world.manager).get(f"{V1}/enrollments/{theirs.pk}/progress/").status_code == 404
    assert as_member(world.manager).get(f"{V1}/enrollments/{report.pk}/progress/").status_code == 200
    assert as_member(world.instructor).get(f"{V1}/enrollments/{theirs.pk}/progress/").status_code == 200
    assert as_member(world.outsider).get(f"{V1}/enrollments/{theirs.pk}/progress/").status_code == 404
    elsewhere = enrollment_services.enrollment_self(course=foreign_course, by=world.outsider.user)
    assert as_member(world.org_admin).get(f"{V1}/enrollments/{elsewhere.pk}/progress/").status_code == 404


# --- completions ---------------------------------------------------------------------------------------------------


def test_completions_are_listed_as_transcripts_are_visible(
    world: World, published, as_member, django_capture_on_commit_callbacks
) -> None:
    for persona in ("learner", "report", "engineer"):
        _complete(published, getattr(world, persona), django_capture_on_commit_callbacks)

    def names(client: APIClient, query: str = "") -> set[str]:
        response = client.get(f"{V1}/completions/{query}")
        assert response.status_code == 200, response.json()
        return {row["person"]["display_name"] for row in response.json()["results"]}

    assert names(as_member(world.learner)) == {"Lena Learner"}
    assert names(as_member(world.learner), f"?person={world.report.pk}") == set()
    assert names(as_member(world.manager)) == {"Rita Report"}
    assert names(as_member(world.org_admin)) == {"Lena Learner", "Rita Report", "Eddie Engineer"}
    assert names(as_member(world.outsider)) == set()
    row = as_member(world.learner).get(f"{V1}/completions/").json()["results"][0]
    assert row["source"] == "course" and row["course"] == published.pk and row["version"] == "1.0"
    assert row["title"] == "Fire safety"


def test_completion_filters(world: World, published, as_member, django_capture_on_commit_callbacks) -> None:
    _complete(published, world.learner, django_capture_on_commit_callbacks)
    client = as_member(world.org_admin)
    assert client.get(f"{V1}/completions/?course={published.pk}").json()["count"] == 1
    assert client.get(f"{V1}/completions/?course=0").json()["count"] == 0
    assert client.get(f"{V1}/completions/?person={world.learner.pk}").json()["count"] == 1
    tomorrow = (clock.now() + dt.timedelta(days=1)).isoformat()
    assert client.get(f"{V1}/completions/", {"since": tomorrow}).json()["count"] == 0
    assert client.get(f"{V1}/completions/?since=yesterday").status_code == 400


@pytest.mark.parametrize("persona", ["org_admin", "manager"])
def test_completion_list_query_count_does_not_grow_with_rows(
    world: World, published, as_member, django_assert_max_num_queries, persona
) -> None:
    client = as_member(getattr(world, persona))
    client.get(f"{V1}/completions/")

    def add(count: int) -> None:
        for _ in range(count):
            person = MembershipFactory(organization=world.org, org_unit=world.sales, manager=world.manager)
            Completion.objects.create(
                organization=world.org,
                membership=person,
                course=published,
                title=published.title,
                version_label="1.0",
                completed_at=clock.now(),
                score=Decimal("90"),
            )

    add(3)
    with CaptureQueriesContext(connection) as queries:
        few = client.get(f"{V1}/completions/")
    add(27)
    with django_assert_max_num_queries(len(queries)):
        many = client.get(f"{V1}/completions/")
    assert many.json()["count"] == few.json()["count"] + 27
    assert len(queries) <= 10


# --- transcripts -------------------------------------------------------------------------------------------------


def test_learner_reads_their_transcript(world: World, published, as_member, django_capture_on_commit_callbacks) -> None:
    enrollment = _complete(published, world.learner, django_capture_on_commit_callbacks)
    response = as_member(world.learner).get(f"{V1}/people/{world.learner.pk}/transcript/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["person"]["display_name"] == "Lena Learner"
    assert body["completion_count"] == 1
    line = body["completions"][0]
    assert (line["title"], line["version"], line["enrollment"]) == ("Fire safety", "1.0", enrollment.pk)
    assert line["time_spent_seconds"] == body["total_time_spent_seconds"]


def test_transcripts_of_others_are_not_found(world: World, as_member) -> None:
    learner = as_member(world.learner)
    assert learner.get(f"{V1}/people/{world.engineer.pk}/transcript/").status_code == 404
    manager = as_member(world.manager)
    assert manager.get(f"{V1}/people/{world.indirect_report.pk}/transcript/").status_code == 200
    assert manager.get(f"{V1}/people/{world.learner.pk}/transcript/").status_code == 404
    assert as_member(world.org_admin).get(f"{V1}/people/{world.outsider.pk}/transcript/").status_code == 404
    assert as_member(world.outsider).get(f"{V1}/people/{world.learner.pk}/transcript/").status_code == 404


def test_transcript_query_count_does_not_grow_with_lines(
    world: World, published, as_member, django_assert_max_num_queries
) -> None:
    client = as_member(world.learner)
    url = f"{V1}/people/{world.learner.pk}/transcript/"
    client.get(url)

    def add(count: int) -> None:
        Completion.objects.bulk_create(
            Completion(
                organization=world.org,
                membership=world.learner,
                title=f"Training {index}",
                source=Completion.Source.EXTERNAL,
                provider="Red Cross",
                completed_at=clock.now(),
            )
            for index in range(count)
        )

    add(3)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    add(27)
    with django_assert_max_num_queries(len(queries)):
        assert client.get(url).json()["completion_count"] == 30
