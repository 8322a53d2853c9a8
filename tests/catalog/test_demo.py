"""`manage.py seed_demo`, the catalog's part: real courses with real content, reviewed, idempotent, resettable."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Model

from syllabus.accounts.models import Organization
from syllabus.audiences.models import Audience
from syllabus.catalog import richtext, versions
from syllabus.catalog.demo import COURSES
from syllabus.catalog.models import (
    Activity,
    CatalogEntry,
    Category,
    Course,
    CourseAsset,
    CourseVersion,
    ReviewRequest,
    Section,
)
from syllabus.core import demo
from syllabus.skills.models import Skill

pytestmark = pytest.mark.django_db

MODELS: tuple[type[Model], ...] = (
    Category,
    Course,
    Section,
    Activity,
    CourseAsset,
    CourseVersion,
    ReviewRequest,
    CatalogEntry,
    Audience,
    Skill,
)


@pytest.fixture(autouse=True)
def media_and_fast_hashing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    # The command hashes the demo password once per run; a fast hasher keeps the runs quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def steps_through_catalog() -> Iterator[None]:
    """seed_demo with the steps up to the catalog's (each seed of the whole demo costs seconds more)."""
    with demo.only(*demo.through("catalog")):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def published(organization: Organization) -> list[dict[str, Any]]:
    """The snapshots learners read: the current version of every published course."""
    return [
        version.snapshot
        for version in CourseVersion.objects.filter(
            organization=organization, pk__in=Course.objects.values("published_version")
        )
    ]


def activities_of(snapshots: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [found for snapshot in snapshots for found in versions.activities(snapshot) if found["kind"] == kind]


def test_the_catalog_and_the_audiences_register_their_demo_steps_in_app_order():
    names = [step.name for step in demo.steps()]
    assert names.index("audiences") < names.index("catalog")


# Seeding takes seconds: one test checks everything the demo catalog must show, in sentence-named parts.


def test_seed_demo_loads_a_real_reviewed_catalog():
    run()
    northwind = Organization.objects.get(slug="northwind")
    at_least_six_courses_are_published_and_listed(northwind)
    every_page_has_real_text(northwind)
    the_hand_hygiene_video_is_uploaded_with_english_captions_and_a_transcript(northwind)
    pdfs_links_and_an_acknowledgement_are_published(northwind)
    courses_span_categories_and_carry_skills_and_covers(northwind)
    the_review_workflow_has_history_pending_reviews_and_a_draft(northwind)
    one_course_is_shown_only_to_the_clinical_staff_audience(northwind)


def test_seed_demo_creates_nothing_the_second_time_and_reset_reloads_the_catalog(django_capture_on_commit_callbacks):
    run()
    before = counts()
    assert "nothing changed" in run()
    assert counts() == before
    old_courses = set(Course.objects.values_list("pk", flat=True))
    old_files = list(CourseAsset.objects.values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        run("--reset")
    assert counts() == before
    assert not old_courses & set(Course.objects.values_list("pk", flat=True))
    # The files of the deleted courses are gone from storage; the new ones are there.
    assert not any(default_storage.exists(name) for name in old_files)
    assert all(default_storage.exists(name) for name in CourseAsset.objects.values_list("file", flat=True))


def at_least_six_courses_are_published_and_listed(northwind: Organization) -> None:
    listed = CatalogEntry.objects.filter(organization=northwind)
    assert listed.count() >= 6
    assert Course.objects.filter(organization=northwind, published_version__isnull=False).count() == listed.count()
    # Every course of the catalog's demo (other apps' demos may add their own, e.g. assessment's quizzes).
    assert Course.objects.filter(organization=northwind, title__in=[c.title for c in COURSES]).count() == len(COURSES)


def every_page_has_real_text(northwind: Organization) -> None:
    pages = activities_of(published(northwind), "page")
    assert len(pages) >= 20
    for page in pages:
        words = richtext.html_to_text(page["config"]["body"]).split()
        assert len(words) >= 120, page["title"]
        assert "lorem" not in " ".join(words).lower()


def the_hand_hygiene_video_is_uploaded_with_english_captions_and_a_transcript(northwind: Organization) -> None:
    (video,) = activities_of(published(northwind), "video")
    config = video["config"]
    assert config["source"] == "upload"
    assert CourseAsset.objects.get(pk=config["asset_id"]).content_type == "video/webm"
    (captions,) = config["captions"]
    assert captions["language"] == "en"
    track = CourseAsset.objects.get(pk=captions["asset_id"])
    assert track.purpose == CourseAsset.Purpose.CAPTIONS
    with default_storage.open(track.file.name) as handle:
        assert handle.read().startswith(b"WEBVTT")
    assert "palm to palm" in config["transcript"]
    assert video["completion"] == {"rule": "watched", "percent": 90}


def pdfs_links_and_an_acknowledgement_are_published(northwind: Organization) -> None:
    snapshots = published(northwind)
    pdfs = CourseAsset.objects.filter(organization=northwind, content_type="application/pdf")
    assert pdfs.count() >= 3
    for asset in pdfs:
        with default_storage.open(asset.file.name) as handle:
            assert handle.read(5) == b"%PDF-"
    assert len(activities_of(snapshots, "file")) >= 2
    assert len(activities_of(snapshots, "link")) >= 2
    (acknowledgement,) = activities_of(snapshots, "acknowledgement")
    assert acknowledgement["title"] == "Acceptable use of IT policy"
    assert pdfs.filter(pk=acknowledgement["config"]["asset_id"]).exists()


def courses_span_categories_and_carry_skills_and_covers(northwind: Organization) -> None:
    # The catalog's own demo courses (other apps' demos may add theirs, e.g. assessment's quizzes).
    courses = Course.objects.filter(organization=northwind, title__in=[c.title for c in COURSES])
    assert courses.values("category").distinct().count() >= 5
    assert not courses.filter(category__isnull=True).exists()
    assert not courses.filter(cover__isnull=True).exists()
    assert courses.filter(skills__isnull=False).distinct().count() == courses.count()
    assert Activity.objects.filter(course__organization=northwind, skills__isnull=False).exists()
    skill_orgs = set(Skill.objects.filter(courses__isnull=False).values_list("organization", flat=True))
    assert skill_orgs == {northwind.pk}


def the_review_workflow_has_history_pending_reviews_and_a_draft(northwind: Organization) -> None:
    reviews = ReviewRequest.objects.filter(organization=northwind)
    assert reviews.filter(state=ReviewRequest.State.PENDING).count() >= 2
    assert reviews.filter(state=ReviewRequest.State.APPROVED).count() >= 4
    assert reviews.filter(state=ReviewRequest.State.REJECTED).exists()
    assert Course.objects.filter(organization=northwind, review_state=Course.ReviewState.IN_REVIEW).count() >= 2
    welcome = Course.objects.get(organization=northwind, title="Welcome to Northwind Health")
    assert [v.label for v in welcome.versions.order_by("major", "minor")] == ["1.0", "1.1"]
    drafts = Course.objects.filter(
        organization=northwind, published_version__isnull=True, review_state=Course.ReviewState.EDITING
    )
    assert drafts.count() == 1


def one_course_is_shown_only_to_the_clinical_staff_audience(northwind: Organization) -> None:
    course = Course.objects.get(organization=northwind, title="Fire safety for clinical areas")
    assert course.visibility == "audience"
    assert course.audience == Audience.objects.get(organization=northwind, name="Clinical staff")
    assert CatalogEntry.objects.get(course=course).audience_id == course.audience_id


def test_steps_can_be_suspended_for_tests_of_the_accounts_part_alone():
    registered = demo.steps()
    with demo.suspended():
        assert demo.steps() == []
    assert demo.steps() == registered
