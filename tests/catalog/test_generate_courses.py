"""`manage.py generate_scale --courses N`: published, searchable courses in bulk, through core's scale registry."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from syllabus.accounts.management.commands import generate_scale
from syllabus.accounts.models import Organization
from syllabus.catalog import search, versions
from syllabus.catalog.models import Activity, CatalogEntry, Course, CourseVersion, Section
from syllabus.core import scale
from syllabus.skills.models import Skill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_scale", *args, stdout=out)
    return out.getvalue()


def test_builds_published_courses_whose_versions_are_what_publishing_the_draft_would_store():
    out = run("--users", "20", "--courses", "12", "--organization", "bench", "--batch-size", "100")
    org = Organization.objects.get(slug="bench")
    assert "Built 12 published courses" in out
    courses = Course.objects.filter(organization=org).select_related("published_version")
    assert courses.count() == 12 == CourseVersion.objects.filter(organization=org).count()
    assert CatalogEntry.objects.filter(organization=org).count() == 12
    for course in courses:
        version = course.published_version
        assert version is not None and version.label == "1.0"
        # The bulk snapshot is exactly the one catalog.versions builds from the draft rows.
        assert version.snapshot == versions.build_snapshot(course)
        assert 2 <= course.sections.count() <= 4
        for section in course.sections.all():
            assert 2 <= section.activities.count() <= 5
        assert course.category is not None and course.tags.exists()
    assert set(Activity.objects.filter(course__organization=org).values_list("kind", flat=True)) == {"page"}


def test_the_bulk_entries_are_the_ones_index_course_writes():
    run("--users", "20", "--courses", "5", "--organization", "bench")
    for entry in CatalogEntry.objects.filter(organization__slug="bench").select_related("course"):
        before = (entry.title, entry.summary, entry.category_id, entry.tags, entry.document, entry.published_at)
        again = search.index_course(entry.course)
        assert again is not None
        assert (again.title, again.summary, again.category_id, again.tags, again.document, again.published_at) == before


def test_generated_courses_are_found_by_the_words_of_their_pages():
    run("--users", "20", "--courses", "30", "--organization", "bench")
    entries = CatalogEntry.objects.filter(organization__slug="bench")
    # A word of one activity's page body finds that course.
    activity = Activity.objects.filter(course__organization__slug="bench").order_by("pk").first()
    assert activity is not None
    word = max(activity.config["body"].replace("<p>", " ").replace("</p>", " ").split(), key=len).strip(".,:")
    found = search.search(entries, word)
    assert activity.course_id in set(found.values_list("course_id", flat=True))


def test_the_same_seed_builds_the_same_courses():
    run("--users", "20", "--courses", "6", "--organization", "one", "--seed", "7")
    run("--users", "20", "--courses", "6", "--organization", "two", "--seed", "7")

    def outline(slug: str) -> list[tuple]:
        return list(
            Section.objects.filter(course__organization__slug=slug)
            .order_by("course__title", "course_id", "position")
            .values_list("course__title", "title", "uid")
        )

    assert outline("one") == outline("two")


def test_courses_are_tagged_with_skills_of_the_framework_when_there_is_one():
    run("--users", "20", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    for index in range(5):
        Skill.objects.create(organization=org, code=f"s{index}", name=f"Skill {index}", path=f"/{index}/")
    run("--courses", "20", "--organization", "bench")
    assert Course.skills.through.objects.filter(course__organization=org).exists()
    entry_skills = CatalogEntry.skills.through.objects.filter(catalogentry__organization=org).count()
    assert entry_skills == Course.skills.through.objects.filter(course__organization=org).count()


def test_courses_are_added_to_an_existing_organisation_when_users_are_left_out():
    run("--users", "20", "--courses", "3", "--organization", "bench")
    out = run("--courses", "4", "--organization", "bench")
    assert "Built 4 published courses" in out
    assert Course.objects.filter(organization__slug="bench").count() == 7


def test_without_users_the_organisation_must_exist_and_something_must_be_asked():
    with pytest.raises(CommandError, match="No organisation 'nowhere'"):
        run("--courses", "3", "--organization", "nowhere")
    with pytest.raises(CommandError) as error:
        run("--organization", "nowhere")
    assert str(error.value) == generate_scale.NEEDS_USERS


def test_reset_deletes_the_organisation_with_its_courses_and_builds_it_again():
    run("--users", "20", "--courses", "5", "--organization", "bench")
    run("--users", "20", "--courses", "2", "--organization", "bench", "--reset")
    assert Course.objects.filter(organization__slug="bench").count() == 2
    assert CatalogEntry.objects.count() == 2
    assert search.search(CatalogEntry.objects.all(), "the").count() <= 2


def test_other_apps_add_options_to_generate_scale_through_the_core_registry(monkeypatch):
    calls: list[tuple[str, int, int]] = []

    def build(context: scale.ScaleContext, count: int) -> None:
        calls.append((context.organization.slug, count, context.batch_size))
        context.report.append(f"Built {count} widgets.")

    monkeypatch.setattr(scale, "_GENERATORS", dict(scale._GENERATORS))
    scale.register(scale.ScaleGenerator(option="widgets", help="How many widgets.", build=build))
    run("--users", "20", "--organization", "bench")
    out = run("--widgets", "3", "--organization", "bench", "--batch-size", "500")
    assert calls == [("bench", 3, 500)] and "Built 3 widgets." in out
    assert "courses" in {generator.option for generator in scale.generators()}
