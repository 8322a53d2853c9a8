"""The authoring pages, for each persona and from the attacker's side: the courses I work on, a course's details,
the outline editor (moves by button, by select and by drag and drop), submit and publish, history and restore,
the team, the course settings and the catalog settings. List pages and the outline keep a constant query count."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from syllabus.accounts.models import Membership
from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import Activity, CatalogSettings, Category, Course, CourseStaff, ReviewRequest, Section
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, SectionFactory, grant, publish, staff

pytestmark = pytest.mark.django_db

LIST = reverse("catalog:authoring")
NEW = reverse("catalog:course-new")
SETTINGS = reverse("catalog:settings")


def url(name: str, *args: Any) -> str:
    return reverse(f"catalog:{name}", args=args)


@pytest.fixture
def as_person(client: Client) -> Any:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def colleague(world: World) -> Membership:
    """Another instructor of the same organisation, on no course team."""
    member = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Carl Colleague")
    grant(member, "instructor")
    return member


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def html_of(response: Any) -> str:
    return str(response.content.decode())


def course_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "action": "details",
        "title": "Fire safety",
        "summary": "Stay safe.",
        "description": "<p>All about <strong>fire</strong>.</p>",
        "category": "",
        "tags": "fire, induction",
        "language": "en",
        "level": "beginner",
        "duration_minutes": "30",
        "visibility": "organization",
        "audience": "",
    }
    data.update(overrides)
    return data


def titles(course: Course) -> list[list[str]]:
    return [
        [a.title for a in section.activities.order_by("position", "pk")]
        for section in course.sections.order_by("position", "pk")
    ]


# --- the list ------------------------------------------------------------------------------------------------------


def test_an_instructor_sees_the_courses_they_work_on_with_their_state(as_person, world, course):
    other = CourseFactory(organization=world.org, title="Someone else's course")
    response = as_person(world.instructor).get(LIST)
    assert response.status_code == 200
    html = html_of(response)
    assert "Fire safety" in html and "Draft" in html and "Owner" in html
    assert "Someone else" not in html
    assert "New course" in html
    assert [row["course"] for row in response.context["rows"]] == [course]
    assert other.pk not in [row["course"].pk for row in response.context["rows"]]


def test_the_list_shows_in_review_published_unpublished_changes_and_archived(as_person, world, course):
    by = world.instructor.user
    published = CourseFactory(organization=world.org, title="Published one")
    staff(published, world.instructor)
    ActivityFactory(section=SectionFactory(course=published))
    publish(published, by=by)
    changed = CourseFactory(organization=world.org, title="Changed one")
    staff(changed, world.instructor)
    section = SectionFactory(course=changed)
    ActivityFactory(section=section)
    publish(changed, by=by)
    services.section_create(course=changed, by=by, title="More")
    archived = CourseFactory(organization=world.org, title="Archived one")
    staff(archived, world.instructor)
    services.course_archive(course=archived, by=by)
    services.course_submit(course=course, by=by)

    response = as_person(world.instructor).get(LIST)
    states = {row["course"].title: str(row["state"].label) for row in response.context["rows"]}
    assert states == {
        "Fire safety": "In review",
        "Published one": "Published v1.0",
        "Changed one": "Unpublished changes (v1.0 live)",
        "Archived one": "Archived",
    }
    filtered = as_person(world.instructor).get(LIST, {"state": "archived"})
    assert [row["course"].title for row in filtered.context["rows"]] == ["Archived one"]
    searched = as_person(world.instructor).get(LIST, {"q": "publ"})
    assert [row["course"].title for row in searched.context["rows"]] == ["Published one"]


def test_a_learner_cannot_open_the_authoring_area(as_person, world, course):
    assert as_person(world.learner).get(LIST).status_code == 403
    assert as_person(world.learner).get(NEW).status_code == 403


def test_a_reviewer_sees_every_course_but_cannot_create_one(as_person, world, course):
    response = as_person(world.reviewer).get(LIST)
    assert response.status_code == 200
    assert "Fire safety" in html_of(response)
    assert "New course" not in html_of(response)


def test_the_list_costs_the_same_queries_for_3_or_30_courses(as_person, world, django_assert_max_num_queries):
    client = as_person(world.org_admin)

    def make(count: int) -> None:
        for index in range(count):
            course = CourseFactory(organization=world.org, title=f"Course {index}")
            ActivityFactory(section=SectionFactory(course=course))

    make(3)
    client.get(LIST)  # warm the per-process caches (content types, sessions)
    with CaptureQueriesContext(connection) as three:
        assert client.get(LIST).status_code == 200
    make(27)
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 25


# --- a new course --------------------------------------------------------------------------------------------------


def test_an_instructor_creates_a_course_and_becomes_its_owner(as_person, world):
    response = as_person(world.instructor).post(NEW, course_data())
    course = Course.objects.get(title="Fire safety")
    assert response.status_code == 302
    assert response["Location"] == url("course-outline", course.pk)
    assert CourseStaff.objects.get(course=course).membership == world.instructor
    assert sorted(course.tags.values_list("name", flat=True)) == ["fire", "induction"]
    assert course.description == "<p>All about <strong>fire</strong>.</p>"


def test_the_new_course_form_shows_its_errors_again(as_person, world):
    response = as_person(world.instructor).post(NEW, course_data(title="", visibility="audience"))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"title", "audience"}
    assert "Choose the audience that may see this course." in html_of(response)
    assert not Course.objects.exists()


def test_the_description_is_sanitised(as_person, world):
    as_person(world.instructor).post(NEW, course_data(description='<p onclick="x()">Hi<script>alert(1)</script></p>'))
    assert Course.objects.get().description == "<p>Hi</p>"


# --- details -------------------------------------------------------------------------------------------------------


def test_the_owner_edits_the_details_and_existing_tags_are_suggested(as_person, world, course):
    category = Category.objects.create(organization=world.org, name="Safety", slug="safety")
    services.course_update(course=course, by=world.instructor.user, tags=["existing tag"])
    client = as_person(world.instructor)
    page_response = client.get(url("course-edit", course.pk))
    assert page_response.status_code == 200
    assert '<option value="existing tag">' in html_of(page_response)
    response = client.post(url("course-edit", course.pk), course_data(title="Fire safety 2", category=category.pk))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Fire safety 2" and course.category == category


def test_a_colleague_who_is_not_on_the_course_cannot_open_or_change_it(as_person, world, course, colleague):
    client = as_person(colleague)
    for name in ("course-edit", "course-outline", "course-submit", "course-history", "course-team"):
        assert client.get(url(name, course.pk)).status_code == 404, name
    assert client.post(url("course-edit", course.pk), course_data(title="Hijacked")).status_code == 404
    assert client.post(url("section-create", course.pk), {"title": "Sneaky"}).status_code == 404
    course.refresh_from_db()
    assert course.title == "Fire safety" and course.sections.count() == 1


def test_another_organisation_gets_404_for_every_course_page(as_person, world, course):
    client = as_person(world.outsider)
    section = course.sections.get()
    activity = section.activities.first()
    for path in (
        url("course-edit", course.pk),
        url("course-outline", course.pk),
        url("course-history", course.pk),
        url("course-team", course.pk),
        url("section-edit", course.pk, section.pk),
        url("activity-edit", course.pk, activity.pk),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(url("course-delete", course.pk)).status_code == 404
    assert Course.objects.filter(pk=course.pk).exists()


def test_a_non_editing_instructor_reads_the_course_but_cannot_change_it(as_person, world, course, colleague):
    staff(course, colleague, role="instructor")
    client = as_person(colleague)
    response = client.get(url("course-edit", course.pk))
    assert response.status_code == 200
    assert "form" in response.context and response.context["can_edit"] is False
    assert "only its owners and editors change them" in html_of(response)
    assert client.post(url("course-edit", course.pk), course_data(title="Nope")).status_code == 403
    outline = client.get(url("course-outline", course.pk))
    assert outline.status_code == 200 and "Move up" not in html_of(outline)
    section = course.sections.get()
    assert client.post(url("section-move", course.pk, section.pk), {"offset": "1"}).status_code == 403


def test_editing_is_refused_while_in_review_with_a_way_to_withdraw(as_person, world, course):
    services.course_submit(course=course, by=world.instructor.user)
    client = as_person(world.instructor)
    response = client.get(url("course-edit", course.pk))
    html = html_of(response)
    assert "This course is in review." in html and "Withdraw from review" in html
    assert 'name="title"' not in html
    refused = client.post(url("course-edit", course.pk), course_data(title="Changed"), follow=True)
    assert services.IN_REVIEW_LOCKED in html_of(refused)
    course.refresh_from_db()
    assert course.title == "Fire safety"
    client.post(url("course-withdraw", course.pk), {"next": "details"})
    course.refresh_from_db()
    assert not course.in_review
    assert ReviewRequest.objects.get().state == ReviewRequest.State.WITHDRAWN


def test_a_good_cover_image_is_stored_and_a_bad_one_is_refused_clearly(as_person, world, course):
    client = as_person(world.instructor)
    bad = SimpleUploadedFile("cover.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>")
    response = client.post(url("course-edit", course.pk), {"action": "cover", "cover": bad})
    assert response.status_code == 200
    errors = response.context["cover_form"].errors["cover"]
    assert errors and "SVG" in errors[0]
    course.refresh_from_db()
    assert course.cover is None
    revision = course.draft_revision

    good = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")
    response = client.post(url("course-edit", course.pk), {"action": "cover", "cover": good})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.cover is not None and course.draft_revision > revision
    client.post(url("course-edit", course.pk), {"action": "remove-cover"})
    course.refresh_from_db()
    assert course.cover is None


# --- the outline ---------------------------------------------------------------------------------------------------


def test_the_outline_shows_sections_and_activities_with_move_buttons(as_person, world, course):
    response = as_person(world.instructor).get(url("course-outline", course.pk))
    assert response.status_code == 200
    html = html_of(response)
    assert "Basics" in html and "Welcome" in html and "Evacuation" in html
    assert 'aria-label="Move down: Welcome">Move down</button>' in html
    assert "vendor/sortable/Sortable.min.js" in html and "catalog/outline.js" in html


def test_the_outline_costs_the_same_queries_for_3_or_30_activities(as_person, world, django_assert_max_num_queries):
    course = CourseFactory(organization=world.org)
    staff(course, world.instructor)
    sections = [SectionFactory(course=course, title=f"S{n}") for n in range(3)]
    client = as_person(world.instructor)
    for section in sections:
        ActivityFactory(section=section)
    client.get(url("course-outline", course.pk))
    with CaptureQueriesContext(connection) as three:
        assert client.get(url("course-outline", course.pk)).status_code == 200
    for section in sections:
        for _ in range(9):
            ActivityFactory(section=section)
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(url("course-outline", course.pk))
    assert response.context["activity_count"] == 30


def test_adding_a_section_and_showing_its_errors(as_person, world, course):
    client = as_person(world.instructor)
    response = client.post(url("section-create", course.pk), {"title": "Practice", "summary": "Try it."})
    section = Section.objects.get(title="Practice")
    assert response["Location"] == f"{url('course-outline', course.pk)}#section-{section.pk}"
    empty = client.post(url("section-create", course.pk), {"title": ""})
    assert empty.status_code == 400
    assert empty.context["section_form"].errors["title"]


def test_renaming_and_deleting_a_section(as_person, world, course):
    client = as_person(world.instructor)
    section = course.sections.get()
    assert client.get(url("section-edit", course.pk, section.pk)).status_code == 200
    client.post(url("section-edit", course.pk, section.pk), {"title": "The basics", "summary": ""})
    section.refresh_from_db()
    assert section.title == "The basics"
    client.post(url("section-delete", course.pk, section.pk))
    assert not course.sections.exists() and not Activity.objects.filter(course=course).exists()


def test_move_down_with_htmx_swaps_the_outline_announces_the_move_and_keeps_the_focus(as_person, world, course):
    welcome = Activity.objects.get(title="Welcome")
    response = as_person(world.instructor).post(
        url("activity-move", course.pk, welcome.pk), {"offset": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "Moved &#x27;Welcome&#x27; to position 2 of 2." in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert f'data-focus="activity-{welcome.pk}-down"' in html
    assert "<!doctype" not in html.lower()
    assert titles(course) == [["Evacuation", "Welcome"]]
    # The moved item is last now: its Move down stays focusable but says it cannot go further.
    assert (
        f'id="activity-{welcome.pk}-down" data-move="down" aria-disabled="true" aria-label="Move down: Welcome"' in html
    )


def test_move_buttons_work_without_javascript(as_person, world, course):
    client = as_person(world.instructor)
    evacuation = Activity.objects.get(title="Evacuation")
    response = client.post(url("activity-move", course.pk, evacuation.pk), {"offset": "-1"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#activity-{evacuation.pk}")
    assert titles(course) == [["Evacuation", "Welcome"]]
    second = services.section_create(course=course, by=world.instructor.user, title="Second")
    client.post(url("section-move", course.pk, second.pk), {"offset": "-1"})
    assert list(course.sections.order_by("position").values_list("title", flat=True)) == ["Second", "Basics"]


def test_an_activity_moves_to_another_section_with_the_select(as_person, world, course):
    other = services.section_create(course=course, by=world.instructor.user, title="Other")
    welcome = Activity.objects.get(title="Welcome")
    response = as_person(world.instructor).post(
        url("activity-move", course.pk, welcome.pk), {"section": other.pk}, HTTP_HX_REQUEST="true"
    )
    assert "Moved &#x27;Welcome&#x27; to section &#x27;Other&#x27;, position 1 of 1." in html_of(response)
    assert titles(course) == [["Evacuation"], ["Welcome"]]


def test_moving_to_a_section_of_another_course_is_refused(as_person, world, course):
    mine = CourseFactory(organization=world.org)
    staff(mine, world.instructor)
    foreign = SectionFactory(course=mine)
    welcome = Activity.objects.get(title="Welcome")
    response = as_person(world.instructor).post(url("activity-move", course.pk, welcome.pk), {"section": foreign.pk})
    assert response.status_code == 302
    assert titles(course) == [["Welcome", "Evacuation"]]


def test_drag_and_drop_saves_the_whole_order_at_once(as_person, world, course):
    by = world.instructor.user
    other = services.section_create(course=course, by=by, title="Other")
    basics = course.sections.get(title="Basics")
    welcome, evacuation = Activity.objects.get(title="Welcome"), Activity.objects.get(title="Evacuation")
    order = [
        {"section": str(other.uid), "activities": [str(evacuation.uid)]},
        {"section": str(basics.uid), "activities": [str(welcome.uid)]},
    ]
    response = as_person(world.instructor).post(
        url("course-reorder", course.pk), {"order": json.dumps(order), "moved": "Evacuation"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Moved &#x27;Evacuation&#x27;. The new order was saved." in html_of(response)
    assert titles(course) == [["Evacuation"], ["Welcome"]]


def test_a_reorder_that_forgets_an_activity_is_refused_and_nothing_moves(as_person, world, course):
    basics = course.sections.get()
    welcome = Activity.objects.get(title="Welcome")
    order = [{"section": str(basics.uid), "activities": [str(welcome.uid)]}]
    client = as_person(world.instructor)
    response = client.post(url("course-reorder", course.pk), {"order": json.dumps(order)}, HTTP_HX_REQUEST="true")
    assert services.BAD_ORDER in html_of(response)
    garbage = client.post(url("course-reorder", course.pk), {"order": "not json"}, HTTP_HX_REQUEST="true")
    assert services.BAD_ORDER in html_of(garbage)
    assert titles(course) == [["Welcome", "Evacuation"]]


def test_adding_a_page_activity_in_two_steps(as_person, world, course):
    client = as_person(world.instructor)
    section = course.sections.get()
    choose = client.get(url("activity-new", course.pk, section.pk))
    assert choose.status_code == 200
    assert 'value="page"' in html_of(choose)
    form = client.get(url("activity-new", course.pk, section.pk), {"kind": "page"})
    assert form.status_code == 200
    assert 'name="body"' in html_of(form) and 'name="completion_rule"' in html_of(form)
    response = client.post(
        url("activity-new", course.pk, section.pk),
        {
            "kind": "page",
            "title": "Extinguishers",
            "body": "<p>Red ones are water.</p>",
            "completion_rule": "viewed",
            "is_required": "on",
            "duration_minutes": "5",
        },
    )
    activity = Activity.objects.get(title="Extinguishers")
    assert response["Location"] == f"{url('course-outline', course.pk)}#activity-{activity.pk}"
    assert activity.config == {"body": "<p>Red ones are water.</p>"}
    assert activity.completion == {"rule": "viewed"} and activity.duration_minutes == 5


def test_a_page_without_text_shows_the_kinds_error_and_keeps_the_title(as_person, world, course):
    section = course.sections.get()
    response = as_person(world.instructor).post(
        url("activity-new", course.pk, section.pk),
        {"kind": "page", "title": "Empty page", "body": "", "duration_minutes": "0"},
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "Write the page: it is empty." in html
    assert 'value="Empty page"' in html
    assert not Activity.objects.filter(title="Empty page").exists()


@pytest.mark.parametrize("kind", [kind.key for kind in kinds.all_kinds()])
def test_every_kind_has_an_author_form_with_its_completion_rules(as_person, world, course, kind):
    section = course.sections.get()
    response = as_person(world.instructor).get(url("activity-new", course.pk, section.pk), {"kind": kind})
    assert response.status_code == 200
    html = html_of(response)
    for rule in kinds.get(kind).completion_rules:
        assert f'value="{rule.key}"' in html
        for name in rule.parameters:
            assert f'name="completion_{rule.key}_{name}"' in html


def test_an_unknown_kind_is_not_found(as_person, world, course):
    section = course.sections.get()
    response = as_person(world.instructor).get(url("activity-new", course.pk, section.pk), {"kind": "nope"})
    assert response.status_code == 404


def test_editing_and_deleting_an_activity(as_person, world, course):
    client = as_person(world.instructor)
    welcome = Activity.objects.get(title="Welcome")
    form = client.get(url("activity-edit", course.pk, welcome.pk))
    assert form.status_code == 200 and "Fire extinguishers are red." in html_of(form)
    client.post(
        url("activity-edit", course.pk, welcome.pk),
        {"title": "Hello", "body": "<p>New text.</p>", "completion_rule": "viewed", "duration_minutes": "3"},
    )
    welcome.refresh_from_db()
    assert welcome.title == "Hello" and welcome.config["body"] == "<p>New text.</p>" and not welcome.is_required
    client.post(url("activity-delete", course.pk, welcome.pk))
    assert not Activity.objects.filter(pk=welcome.pk).exists()


def test_an_activity_of_another_course_is_not_found_through_this_one(as_person, world, course):
    mine = CourseFactory(organization=world.org)
    staff(mine, world.instructor)
    foreign = ActivityFactory(section=SectionFactory(course=mine))
    client = as_person(world.instructor)
    assert client.get(url("activity-edit", course.pk, foreign.pk)).status_code == 404
    assert client.post(url("activity-delete", course.pk, foreign.pk)).status_code == 404


# --- submit, publish, history --------------------------------------------------------------------------------------


def test_the_submit_page_shows_the_change_kind_and_submits(as_person, world, course):
    client = as_person(world.instructor)
    response = client.get(url("course-submit", course.pk))
    assert response.status_code == 200
    assert response.context["computed_change"] == "major"
    assert "first version" in html_of(response)
    assert "Publish now" not in html_of(response)
    submitted = client.post(url("course-submit", course.pk), {"action": "submit", "notes": "Ready.", "change": "major"})
    assert submitted.status_code == 302
    review = ReviewRequest.objects.get(course=course)
    assert review.notes == "Ready." and review.state == ReviewRequest.State.PENDING
    waiting = client.get(url("course-submit", course.pk))
    assert "Waiting for review" in html_of(waiting)


def test_the_submit_page_shows_the_diff_since_the_published_version(as_person, world, course):
    by = world.instructor.user
    publish(course, by=by)
    welcome = Activity.objects.get(title="Welcome")
    services.activity_update(activity=welcome, by=by, title="Welcome aboard")
    response = as_person(world.instructor).get(url("course-submit", course.pk))
    html = html_of(response)
    assert response.context["computed_change"] == "minor"
    assert "What changed since version 1.0" in html
    assert '<ins><span class="visually-hidden">added: </span>' in html


def test_submitting_an_empty_course_shows_why(as_person, world):
    course = services.course_create(organization=world.org, by=world.instructor.user, title="Empty")
    response = as_person(world.instructor).post(
        url("course-submit", course.pk), {"action": "submit", "change": "major"}
    )
    assert response.status_code == 400
    assert services.NOTHING_TO_PUBLISH in html_of(response)


def test_publish_now_needs_the_organisation_setting(as_person, world, course):
    client = as_person(world.instructor)
    refused = client.post(url("course-submit", course.pk), {"action": "publish", "publish-change": "major"})
    assert refused.status_code == 400
    course.refresh_from_db()
    assert course.published_version is None
    CatalogSettings.objects.create(organization=world.org, publish_without_review=True)
    assert "Publish now" in html_of(client.get(url("course-submit", course.pk)))
    response = client.post(
        url("course-submit", course.pk), {"action": "publish", "publish-notes": "First!", "publish-change": "major"}
    )
    assert response["Location"] == url("course-history", course.pk)
    course.refresh_from_db()
    assert course.published_version.label == "1.0"
    history = client.get(url("course-history", course.pk))
    assert "First!" in html_of(history) and "1.0" in html_of(history)


def test_history_views_a_version_and_restores_it_after_confirming(as_person, world, course):
    by = world.instructor.user
    version = publish(course, by=by)
    services.activity_delete(activity=Activity.objects.get(title="Welcome"), by=by)
    client = as_person(world.instructor)
    detail = client.get(url("course-version", course.pk, version.pk))
    assert detail.status_code == 200 and "Welcome" in html_of(detail)
    confirm = client.get(url("course-version-restore", course.pk, version.pk))
    assert confirm.status_code == 200
    assert "Activity added: Welcome" in html_of(confirm)
    assert titles(course) == [["Evacuation"]]
    response = client.post(url("course-version-restore", course.pk, version.pk))
    assert response["Location"] == url("course-outline", course.pk)
    assert titles(course) == [["Welcome", "Evacuation"]]


def test_a_version_of_another_course_is_not_found(as_person, world, course):
    other = CourseFactory(organization=world.org)
    staff(other, world.instructor)
    ActivityFactory(section=SectionFactory(course=other))
    foreign = publish(other, by=world.instructor.user)
    client = as_person(world.instructor)
    assert client.get(url("course-version", course.pk, foreign.pk)).status_code == 404
    assert client.post(url("course-version-restore", course.pk, foreign.pk)).status_code == 404


def test_history_lists_reviews_with_their_comments(as_person, world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    services.review_reject(review=review, by=world.reviewer.user, reason="Add a quiz.")
    response = as_person(world.instructor).get(url("course-history", course.pk))
    html = html_of(response)
    assert "Sent back" in html and "Add a quiz." in html


# --- team and course settings --------------------------------------------------------------------------------------


def test_the_owner_finds_a_colleague_and_adds_them_as_editor(as_person, world, course, colleague):
    client = as_person(world.instructor)
    results = client.get(url("course-team-search", course.pk), {"q": "carl"}, HTTP_HX_REQUEST="true")
    assert results.status_code == 200
    assert "Carl Colleague" in html_of(results) and "Ingrid" not in html_of(results)
    client.post(url("course-team-set", course.pk), {"membership": colleague.pk, "role": "editor"})
    assert CourseStaff.objects.get(course=course, membership=colleague).role == "editor"
    team = client.get(url("course-team", course.pk))
    assert "Carl Colleague" in html_of(team)


def test_someone_of_another_organisation_cannot_be_added(as_person, world, course):
    response = as_person(world.instructor).post(
        url("course-team-set", course.pk), {"membership": world.outsider.pk, "role": "editor"}
    )
    assert response.status_code == 404
    assert not CourseStaff.objects.filter(membership=world.outsider).exists()


def test_the_last_owner_cannot_be_removed_and_the_page_says_why(as_person, world, course):
    response = as_person(world.instructor).post(
        url("course-team-remove", course.pk), {"membership": world.instructor.pk}, follow=True
    )
    assert services.LAST_OWNER in html_of(response)
    assert CourseStaff.objects.filter(course=course, membership=world.instructor).exists()


def test_an_editor_sees_the_team_but_cannot_manage_it(as_person, world, course, colleague):
    staff(course, colleague, role="editor")
    client = as_person(colleague)
    team = client.get(url("course-team", course.pk))
    assert team.status_code == 200 and "Add someone" not in html_of(team)
    forbidden = client.post(url("course-team-set", course.pk), {"membership": colleague.pk, "role": "owner"})
    assert forbidden.status_code == 403
    assert client.post(url("course-archive", course.pk)).status_code == 403


def test_copy_archive_unarchive_and_delete(as_person, world, course):
    client = as_person(world.instructor)
    response = client.post(url("course-copy", course.pk), {"copy-title": "Fire safety (copy)"})
    copy = Course.objects.get(title="Fire safety (copy)")
    assert response["Location"] == url("course-edit", copy.pk)
    assert titles(copy) == [["Welcome", "Evacuation"]]
    client.post(url("course-archive", course.pk))
    course.refresh_from_db()
    assert course.is_archived
    client.post(url("course-unarchive", course.pk))
    course.refresh_from_db()
    assert not course.is_archived
    deleted = client.post(url("course-delete", copy.pk))
    assert deleted["Location"] == LIST
    assert not Course.objects.filter(pk=copy.pk).exists()


# --- catalog settings ------------------------------------------------------------------------------------------------


def test_only_catalog_managers_open_the_catalog_settings(as_person, world):
    assert as_person(world.org_admin).get(SETTINGS).status_code == 200
    assert as_person(world.instructor).get(SETTINGS).status_code == 403
    assert as_person(world.learner).post(SETTINGS, {"publish_without_review": "on"}).status_code == 403
    assert not CatalogSettings.objects.exists()


def test_an_org_admin_changes_the_settings_and_a_bad_host_is_shown(as_person, world):
    client = as_person(world.org_admin)
    bad = client.post(SETTINGS, {"publish_without_review": "on", "embed_allowlist": "not a host"})
    assert bad.status_code == 400
    assert "is not a host name" in html_of(bad)
    client.post(SETTINGS, {"publish_without_review": "on", "embed_allowlist": "video.example.com"})
    saved = CatalogSettings.objects.get(organization=world.org)
    assert saved.publish_without_review and saved.embed_allowlist == "video.example.com"


def test_categories_are_added_renamed_and_deleted(as_person, world):
    client = as_person(world.org_admin)
    client.post(url("category-create"), {"new-name": "Safety", "new-position": "2"})
    category = Category.objects.get(organization=world.org)
    assert (category.name, category.position) == ("Safety", 2)
    duplicate = client.post(url("category-create"), {"new-name": "Safety"})
    assert duplicate.status_code == 400 and services.CATEGORY_EXISTS in html_of(duplicate)
    client.post(
        url("category-update", category.pk),
        {f"c{category.pk}-name": "Health and safety", f"c{category.pk}-position": "1"},
    )
    category.refresh_from_db()
    assert category.name == "Health and safety"
    client.post(url("category-delete", category.pk))
    assert not Category.objects.exists()


def test_a_category_of_another_organisation_is_not_found(as_person, world):
    foreign = Category.objects.create(organization=world.other_org, name="Theirs", slug="theirs")
    client = as_person(world.org_admin)
    assert client.post(url("category-delete", foreign.pk)).status_code == 404
    assert Category.objects.filter(pk=foreign.pk).exists()


def test_the_nav_shows_courses_reviews_and_catalog_to_the_right_people(as_person, world):
    admin_html = html_of(as_person(world.org_admin).get(LIST))
    assert f'href="{LIST}"' in admin_html and f'href="{reverse("catalog:reviews")}"' in admin_html
    assert f'href="{SETTINGS}"' in admin_html
    learner_html = html_of(as_person(world.learner).get(reverse("web:home")))
    assert f'href="{LIST}"' not in learner_html


# --- UX review fixes -----------------------------------------------------------------------------------------------


def send_back(world: World, course: Course) -> ReviewRequest:
    """The course submitted by its owner, commented on by the reviewer (about Welcome and about the section), then
    sent back with a reason."""
    review = services.course_submit(course=course, by=world.instructor.user)
    welcome = Activity.objects.get(course=course, title="Welcome")
    basics = Section.objects.get(course=course, title="Basics")
    services.review_comment_add(
        review=review, by=world.reviewer.user, body="Which extinguisher?", about_uid=welcome.uid
    )
    services.review_comment_add(review=review, by=world.reviewer.user, body="Too short.", about_uid=basics.uid)
    services.review_reject(review=review, by=world.reviewer.user, reason="Add a quiz at the end.")
    return review


def test_a_course_sent_back_says_why_on_its_details_outline_and_submit_pages(as_person, world, course):
    send_back(world, course)
    welcome = Activity.objects.get(course=course, title="Welcome")
    basics = Section.objects.get(course=course, title="Basics")
    client = as_person(world.instructor)
    for name in ("course-edit", "course-outline", "course-submit"):
        response = client.get(url(name, course.pk))
        html = html_of(response)
        assert response.context["state"].label == "Sent back for changes", name
        notice = response.context["sent_back"]
        assert notice.reason.body == "Add a quiz at the end."
        assert [(item.comment.body, item.about) for item in notice.comments] == [
            ("Which extinguisher?", "Activity: Welcome"),
            ("Too short.", "Section: Basics"),
        ]
        assert "Add a quiz at the end." in html
        assert f'<a href="{url("course-outline", course.pk)}#activity-{welcome.pk}">Activity: Welcome</a>' in html
        assert f'<a href="{url("course-outline", course.pk)}#section-{basics.pk}">Section: Basics</a>' in html
    # Other tabs say the state, without repeating the comments.
    team = client.get(url("course-team", course.pk))
    assert team.context["state"].label == "Sent back for changes" and team.context["sent_back"] is None


def test_a_comment_about_a_deleted_activity_still_names_it_without_a_link(as_person, world, course):
    send_back(world, course)
    services.activity_delete(activity=Activity.objects.get(course=course, title="Welcome"), by=world.instructor.user)
    response = as_person(world.instructor).get(url("course-edit", course.pk))
    first = response.context["sent_back"].comments[0]
    assert (first.about, first.url) == ("Activity: Welcome", "")


def test_the_sent_back_notice_ends_when_the_course_is_submitted_again(as_person, world, course):
    send_back(world, course)
    services.course_submit(course=course, by=world.instructor.user)
    response = as_person(world.instructor).get(url("course-edit", course.pk))
    assert response.context["sent_back"] is None
    assert response.context["state"].label == "In review"
    assert "Add a quiz at the end." not in html_of(response)


def test_the_list_says_a_course_was_sent_back_and_why(as_person, world, course):
    send_back(world, course)
    response = as_person(world.instructor).get(LIST)
    [row] = response.context["rows"]
    assert row["state"].label == "Sent back for changes"
    html = html_of(response)
    assert "Add a quiz at the end." in html
    assert f"{url('course-edit', course.pk)}#feedback" in html and "Read the reviewer's 2 comments" in html


def test_the_list_costs_the_same_queries_for_3_or_30_sent_back_courses(as_person, world, django_assert_max_num_queries):
    client = as_person(world.org_admin)

    def make(count: int) -> None:
        for index in range(count):
            course = CourseFactory(organization=world.org, title=f"Course {index}")
            ActivityFactory(section=SectionFactory(course=course))
            review = services.course_submit(course=course, by=world.org_admin.user)
            services.review_comment_add(review=review, by=world.reviewer.user, body="Hmm.")
            services.review_reject(review=review, by=world.reviewer.user, reason="Not yet.")

    make(3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as three:
        assert client.get(LIST).status_code == 200
    make(27)
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 25
    assert all(row["state"].label == "Sent back for changes" for row in response.context["rows"])


def test_the_history_names_the_activity_a_comment_is_about(as_person, world, course):
    send_back(world, course)
    html = html_of(as_person(world.instructor).get(url("course-history", course.pk)))
    assert "about Activity: Welcome" in html and "about Section: Basics" in html


def test_a_first_version_offers_no_major_or_minor_choice(as_person, world, course):
    CatalogSettings.objects.create(organization=world.org, publish_without_review=True)
    client = as_person(world.instructor)
    response = client.get(url("course-submit", course.pk))
    html = html_of(response)
    assert "This will be version 1.0." in html
    assert not response.context["submit_form"].offers_change and not response.context["publish_form"].offers_change
    assert 'name="change"' not in html and 'name="publish-change"' not in html
    client.post(url("course-submit", course.pk), {"action": "submit", "change": "minor"})
    assert ReviewRequest.objects.get(course=course).change == "major"


def test_a_major_change_offers_no_minor_choice(as_person, world, course):
    by = world.instructor.user
    publish(course, by=by)
    services.section_create(course=course, by=by, title="More")
    response = as_person(world.instructor).get(url("course-submit", course.pk))
    html = html_of(response)
    assert response.context["computed_change"] == "major"
    assert "this will be version 2.0" in html
    assert 'value="minor"' not in html


def test_a_minor_change_offers_minor_computed_or_major(as_person, world, course):
    by = world.instructor.user
    publish(course, by=by)
    services.activity_update(activity=Activity.objects.get(title="Welcome"), by=by, title="Welcome aboard")
    client = as_person(world.instructor)
    response = client.get(url("course-submit", course.pk))
    html = html_of(response)
    assert "this will be version 1.1" in html and "version 2.0" in html
    assert list(response.context["submit_form"].fields["change"].choices) == [
        ("minor", "Minor (computed)"),
        ("major", "Major"),
    ]
    client.post(url("course-submit", course.pk), {"action": "submit", "change": "major"})
    assert ReviewRequest.objects.get(course=course).change == "major"


def test_a_refused_cover_is_summarised_at_the_top_with_a_link_to_the_field(as_person, world, course):
    bad = SimpleUploadedFile("cover.png", b"not an image at all")
    response = as_person(world.instructor).post(url("course-edit", course.pk), {"action": "cover", "cover": bad})
    html = html_of(response)
    [error] = response.context["error_summary"]
    assert error.target == "id_cover"
    summary = html.index("Please correct the errors below.")
    assert summary < html.index('id="details-heading"')
    assert 'href="#id_cover"' in html and "data-error-summary" in html
    assert "catalog/authoring.js" in html


def test_a_details_error_is_summarised_at_the_top_too(as_person, world, course):
    response = as_person(world.instructor).post(url("course-edit", course.pk), course_data(title=""))
    assert [e.target for e in response.context["error_summary"]] == ["id_title"]
    assert 'href="#id_title"' in html_of(response)
    ok = as_person(world.instructor).get(url("course-edit", course.pk))
    assert ok.context["error_summary"] == [] and "Please correct the errors below." not in html_of(ok)


def test_the_first_cover_is_added_and_the_next_one_replaces_it(as_person, world, course):
    client = as_person(world.instructor)
    first = client.post(
        url("course-edit", course.pk),
        {"action": "cover", "cover": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
        follow=True,
    )
    assert "The cover image was added." in html_of(first)
    second = client.post(
        url("course-edit", course.pk),
        {"action": "cover", "cover": SimpleUploadedFile("b.png", png_bytes(), content_type="image/png")},
        follow=True,
    )
    assert "The cover image was replaced." in html_of(second)


def test_the_submit_tab_reads_in_review_while_the_course_is_in_review(as_person, world, course):
    client = as_person(world.instructor)
    assert [t.label for t in client.get(url("course-edit", course.pk)).context["tabs"]][2] == "Submit for review"
    services.course_submit(course=course, by=world.instructor.user)
    tabs = client.get(url("course-edit", course.pk)).context["tabs"]
    assert [(t.key, t.label) for t in tabs][2] == ("submit", "In review")


def test_dates_are_never_followed_by_a_second_period(as_person, world, course):
    review = services.course_submit(course=course, by=world.instructor.user)
    client = as_person(world.instructor)
    waiting = html_of(client.get(url("course-submit", course.pk)))
    when = review.created_at.strftime("%H:%M")
    assert f"Submitted on {review.created_at.day} " in waiting and f"{when} by Ingrid Instructor." in waiting
    services.review_approve(review=review, by=world.reviewer.user)
    version = course.versions.get()
    detail = html_of(client.get(url("course-version", course.pk, version.pk)))
    assert "m.." not in detail and "m.." not in waiting


def test_the_course_form_hides_the_audience_behind_its_choice_and_uses_checkboxes_for_skills(as_person, world):
    from syllabus.skills.models import Skill

    Skill.objects.create(organization=world.org, code="fire", name="Fire safety", path="/1/")
    response = as_person(world.instructor).get(NEW)
    html = html_of(response)
    assert 'class="audience-field"' in html and 'class="stacked card course-form"' in html
    assert 'type="checkbox" name="skills"' in html
    assert "Ctrl" not in html


def test_a_new_course_has_an_empty_optional_duration_in_minutes(as_person, world):
    client = as_person(world.instructor)
    html = html_of(client.get(NEW))
    assert 'name="duration_minutes"' in html and 'name="duration_minutes" value="0"' not in html
    assert '<p class="help" id="id_duration_minutes_helptext">minutes</p>' in html
    client.post(NEW, course_data(duration_minutes=""))
    assert Course.objects.get(title="Fire safety").duration_minutes == 0


def test_the_catalog_settings_title_matches_the_nav_and_categories_show_their_use(as_person, world, course):
    safety = Category.objects.create(organization=world.org, name="Safety", slug="safety")
    Category.objects.create(organization=world.org, name="Unused", slug="unused")
    course.category = safety
    course.save()
    response = as_person(world.org_admin).get(SETTINGS)
    html = html_of(response)
    assert "<title>Categories and publishing" in html and "<h1>Categories and publishing</h1>" in html
    assert "Used by 1 course" in html and "Not used by any course" in html
    assert "Smaller numbers come first." in html  # once, on the add form
    assert html.count("Smaller numbers come first.") == 1


def test_restore_is_not_offered_for_the_live_version_of_an_unchanged_draft(as_person, world, course):
    by = world.instructor.user
    first = publish(course, by=by)
    client = as_person(world.instructor)
    restore_first = url("course-version-restore", course.pk, first.pk)
    assert restore_first not in html_of(client.get(url("course-history", course.pk)))
    assert restore_first not in html_of(client.get(url("course-version", course.pk, first.pk)))
    services.activity_update(activity=Activity.objects.get(title="Welcome"), by=by, title="Welcome aboard")
    assert restore_first in html_of(client.get(url("course-history", course.pk)))
    second = publish(course, by=by)
    history = html_of(client.get(url("course-history", course.pk)))
    assert restore_first in history  # an older version stays restorable
    assert url("course-version-restore", course.pk, second.pk) not in history
