"""The player with progress: the outline's states and progress bar, resume, the heartbeat, the outline's sections
loaded on demand, and a page that costs the same whatever the course's size — from the attacker's side too."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.catalog import versions
from syllabus.catalog.models import Course
from syllabus.core import clock
from syllabus.enrollment import services as enrollment_services
from syllabus.enrollment.models import Enrollment
from syllabus.progress import services
from syllabus.progress.models import ActivityProgress, State
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = pytest.mark.django_db


def course_of(world: World, sections: int, per_section: int = 3, title: str = "Fire safety") -> Course:
    """A published course of Page activities (each completes when viewed), owned by the instructor."""
    course = CourseFactory(organization=world.org, title=title)
    staff(course, world.instructor, "owner")
    for number in range(sections):
        section = SectionFactory(course=course, title=f"Part {number + 1}", position=number)
        for position in range(per_section):
            ActivityFactory(section=section, title=f"Step {number + 1}.{position + 1}", position=position)
    publish(course, world.instructor.user)
    course.refresh_from_db()
    return course


def uids(course: Course) -> list[str]:
    return [a["uid"] for a in versions.activities(course.published_version.snapshot)]  # type: ignore[union-attr]


def section_uids(course: Course) -> list[str]:
    return [s["uid"] for s in course.published_version.snapshot["sections"]]  # type: ignore[union-attr]


def activity_url(course: Course, uid: str) -> str:
    return reverse("catalog:activity", args=[course.pk, uid])


def signed_in(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def enroll(course: Course, membership: Any) -> Enrollment:
    return enrollment_services.enrollment_self(course=course, by=membership.user)


def beat(client: Client, course: Course, payload: Any) -> Any:
    return client.post(
        reverse("progress:heartbeat", args=[course.pk]), json.dumps(payload), content_type="application/json"
    )


@pytest.fixture
def small(world: World) -> Course:
    return course_of(world, sections=2)


# --- who may open the player ---------------------------------------------------------------------------------------


def test_a_learner_who_is_not_enrolled_gets_404_on_activities_but_sees_the_course_with_an_enroll_button(
    client: Client, world: World, small: Course
) -> None:
    signed_in(client, world.learner)
    first = uids(small)[0]
    assert client.get(activity_url(small, first)).status_code == 404
    assert client.get(reverse("progress:resume", args=[small.pk])).status_code == 404
    section = reverse("progress:outline-section", args=[small.pk, section_uids(small)[1]])
    assert client.get(section, headers={"HX-Request": "true"}).status_code == 404
    page = client.get(reverse("catalog:course", args=[small.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<button type="submit">\s*Enroll\s*</button>', html)
    # The outline does not link to activities the learner cannot open yet.
    assert activity_url(small, first) not in html and "Open the first activity" not in html


def test_an_enrolled_learner_on_an_old_major_version_keeps_learning_theirs(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = enroll(small, world.learner)
    old_version = small.published_version_id
    old_first = uids(small)[0]
    # A major version (a new section): the learner stays on the version they enrolled in.
    added = SectionFactory(course=small, title="Part 3", position=9)
    ActivityFactory(section=added, title="Brand new")
    with django_capture_on_commit_callbacks(execute=True):
        publish(small, world.instructor.user)
    small.refresh_from_db()
    assert small.published_version_id != old_version
    enrollment.refresh_from_db()
    assert enrollment.version_id == old_version
    signed_in(client, world.learner)
    html = client.get(activity_url(small, old_first)).content.decode()
    assert "Brand new" not in html and "Part 3" not in html
    brand_new = [a["uid"] for a in versions.activities(small.published_version.snapshot) if a["title"] == "Brand new"]  # type: ignore[union-attr]
    assert client.get(activity_url(small, brand_new[0])).status_code == 404
    # The current version does have it: the team, who work in it, open it.
    assert signed_in(client, world.instructor).get(activity_url(small, brand_new[0])).status_code == 200


# --- outline and progress bar ------------------------------------------------------------------------------------


def test_the_outline_shows_each_activity_state_in_words_and_the_progress_bar(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enroll(small, world.learner)
    first, second, third = uids(small)[:3]
    signed_in(client, world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(activity_url(small, first))  # viewed: completed
    enrollment = Enrollment.objects.get(membership=world.learner)
    # Opened but not completed: a row in progress (as a kind that needs more than opening would leave it).
    services.activity_opened(enrollment=enrollment, activity_uid=uuid.UUID(second))
    html = client.get(activity_url(small, third)).content.decode()
    # This visit is not committed yet in the test transaction, so the page shows the state before it.
    items = dict(re.findall(r'data-activity-uid="([0-9a-f-]+)">.*?<span data-state-label>([^<]+)</span>', html, re.S))
    assert items == {first: "Completed", second: "In progress", third: "Not started"}
    assert html.count('aria-hidden="true" data-state-icon>✓<') == 1
    # One of the six required pages is complete: 16%.
    assert re.search(r'<progress max="100" value="16" aria-valuenow="16"', html)
    assert "16% complete" in html
    assert "1 of 3 activities completed" in html and "0 of 3 activities completed" in html


def test_the_player_draws_only_the_current_section_and_loads_others_on_demand(
    client: Client, world: World, small: Course
) -> None:
    enroll(small, world.learner)
    second_section = section_uids(small)[1]
    first = uids(small)[0]
    later = uids(small)[3:]
    html = signed_in(client, world.learner).get(activity_url(small, first)).content.decode()
    assert "Step 1.2" in html and "Step 2.2" not in html
    fragment_url = reverse("progress:outline-section", args=[small.pk, second_section])
    # The other section: a link to its first activity (no JavaScript), loaded with htmx otherwise.
    assert f'href="{activity_url(small, later[0])}" data-outline-toggle="{second_section}"' in html
    # One address pattern for the whole outline (player.js puts the section's uid in), not one per section.
    pattern = re.search(r'data-section-url="([^"]+)" data-section-placeholder="([^"]+)"', html)
    assert pattern is not None and pattern[1].replace(pattern[2], second_section) == fragment_url
    fragment = client.get(fragment_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<ol" in body and "<html" not in body
    assert re.findall(r'<a href="([^"]+)"', body) == [activity_url(small, uid) for uid in later]
    assert body.count("Not started") == 3
    # Without htmx, the section's address leads into the player at its first activity.
    plain = client.get(fragment_url)
    assert plain.status_code == 302 and plain["Location"] == activity_url(small, later[0])
    unknown = reverse("progress:outline-section", args=[small.pk, uuid.uuid4()])
    assert client.get(unknown, headers={"HX-Request": "true"}).status_code == 404


def test_the_course_team_learns_without_enrolling_and_sees_no_progress(
    client: Client, world: World, small: Course
) -> None:
    response = signed_in(client, world.instructor).get(activity_url(small, uids(small)[0]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<progress" not in html and "data-heartbeat-url" not in html and "Not started" not in html
    course_page = client.get(reverse("catalog:course", args=[small.pk])).content.decode()
    assert "Your place in this course" not in course_page and "Open the first activity" in course_page


# --- opening and resuming ------------------------------------------------------------------------------------------


def test_opening_an_activity_marks_it_in_progress_and_remembers_it(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = enroll(small, world.learner)
    second = uids(small)[1]
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(client, world.learner).get(activity_url(small, second))
    enrollment.refresh_from_db()
    assert str(enrollment.last_activity_uid) == second
    # A page completes when viewed; the open made the row first.
    row = ActivityProgress.objects.get(enrollment=enrollment, activity_uid=second)
    assert row.state == State.COMPLETED


def test_resume_goes_to_the_last_opened_activity_then_the_first_not_completed(
    client: Client, world: World, small: Course
) -> None:
    enrollment = enroll(small, world.learner)
    all_uids = uids(small)
    resume = reverse("progress:resume", args=[small.pk])
    signed_in(client, world.learner)
    assert client.get(resume)["Location"] == activity_url(small, all_uids[0])  # nothing yet: the first
    services.activity_opened(enrollment=enrollment, activity_uid=uuid.UUID(all_uids[4]))
    assert client.get(resume)["Location"] == activity_url(small, all_uids[4])
    # The remembered activity is not in the learner's version any more (say, a correction moved them): the first
    # one they have not completed.
    Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_uid=uuid.uuid4())
    for uid in all_uids[:2]:
        services.activity_mark_complete(
            enrollment=enrollment, activity_uid=uuid.UUID(uid), by=world.instructor.user, reason="Attended"
        )
    assert client.get(resume)["Location"] == activity_url(small, all_uids[2])
    # Everything completed: back to the start, to review.
    for uid in all_uids[2:]:
        services.activity_mark_complete(
            enrollment=enrollment, activity_uid=uuid.UUID(uid), by=world.instructor.user, reason="Attended"
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_uid=None)
    assert client.get(resume)["Location"] == activity_url(small, all_uids[0])


def test_resume_of_another_organisation_or_an_empty_version_is_handled(
    client: Client, world: World, small: Course
) -> None:
    assert signed_in(client, world.outsider).get(reverse("progress:resume", args=[small.pk])).status_code == 404
    assert client.get(reverse("progress:resume", args=[987654])).status_code == 404


# --- heartbeat -----------------------------------------------------------------------------------------------------


def test_the_heartbeat_adds_time_for_the_learner_and_answers_their_progress(
    client: Client, world: World, small: Course
) -> None:
    enrollment = enroll(small, world.learner)
    first = uids(small)[0]
    signed_in(client, world.learner)
    answer = beat(client, small, {"activity": first})
    assert answer.status_code == 200
    assert answer.json()["seconds"] == 0 and answer.json()["time_spent"] == 0
    assert answer.json()["percent"] == 0 and answer.json()["state"] == "in_progress"
    # Later beats add the time since the previous one (the clock is moved on, no sleeping).
    row = ActivityProgress.objects.get(enrollment=enrollment, activity_uid=first)
    ActivityProgress.objects.filter(pk=row.pk).update(last_heartbeat_at=clock.now() - dt.timedelta(seconds=20))
    second = beat(client, small, {"activity": first}).json()
    assert 20 <= second["seconds"] <= 21 and second["time_spent"] == second["seconds"]
    # A form post works as well as JSON.
    ActivityProgress.objects.filter(pk=row.pk).update(last_heartbeat_at=clock.now() - dt.timedelta(seconds=10))
    form = client.post(reverse("progress:heartbeat", args=[small.pk]), {"activity": first})
    assert form.status_code == 200 and form.json()["time_spent"] >= 30


def test_the_heartbeat_needs_a_signed_in_enrolled_person_of_the_organisation(
    client: Client, world: World, small: Course
) -> None:
    enroll(small, world.learner)
    first = uids(small)[0]
    anonymous = beat(client, small, {"activity": first})
    assert anonymous.status_code == 302 and reverse("accounts:sign-in") in anonymous["Location"]
    # Someone else's course: not enrolled (404), another organisation (404).
    assert beat(signed_in(client, world.engineer), small, {"activity": first}).status_code == 404
    assert beat(signed_in(client, world.outsider), small, {"activity": first}).status_code == 404
    # The team tries the course out without enrolling: nothing to record.
    assert beat(signed_in(client, world.instructor), small, {"activity": first}).status_code == 404
    assert not ActivityProgress.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"activity": "not-a-uuid"}, {"activity": str(uuid.uuid4())}, ["a list"], {"activity": 12}],
    ids=["missing", "not-a-uuid", "not-in-course", "not-an-object", "a-number"],
)
def test_a_bad_activity_in_a_heartbeat_is_answered_400(
    client: Client, world: World, small: Course, payload: Any
) -> None:
    enroll(small, world.learner)
    response = beat(signed_in(client, world.learner), small, payload)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["activity"]
    assert not ActivityProgress.objects.exists()


def test_an_activity_of_another_course_is_refused_in_a_heartbeat(client: Client, world: World, small: Course) -> None:
    enroll(small, world.learner)
    other = course_of(world, sections=1, title="Another course")
    enroll(other, world.learner)
    response = beat(signed_in(client, world.learner), small, {"activity": uids(other)[0]})
    assert response.status_code == 400


def test_the_heartbeat_needs_a_csrf_token(world: World, small: Course) -> None:
    enroll(small, world.learner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner.user)
    assert beat(client, small, {"activity": uids(small)[0]}).status_code == 403


# --- cost ----------------------------------------------------------------------------------------------------------


def test_the_player_costs_the_same_for_5_or_50_sections(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    few = course_of(world, sections=5, title="Few")
    many = course_of(world, sections=50, title="Many")
    for course in (few, many):
        enrollment = enroll(course, world.learner)
        # Some progress in every section, so the states are read and counted too.
        for uid in uids(course)[::2]:
            services.activity_opened(enrollment=enrollment, activity_uid=uuid.UUID(uid))
    signed_in(client, world.learner)
    few_url = activity_url(few, uids(few)[4])
    many_url = activity_url(many, uids(many)[70])
    client.get(few_url)
    with CaptureQueriesContext(connection) as measured:
        assert client.get(few_url).status_code == 200
    count = len(measured)
    client.get(many_url)
    with django_assert_max_num_queries(count):
        response = client.get(many_url)
    html = response.content.decode()
    # 150 activities, but only the current section's three are drawn.
    assert html.count("data-activity-uid=") == 3 and html.count("data-outline-toggle") == 49


def test_the_player_grows_only_by_the_section_headings_for_5_or_60_sections(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    few = course_of(world, sections=5, title="Few")
    many = course_of(world, sections=60, title="Many")
    for course in (few, many):
        enroll(course, world.learner)
    signed_in(client, world.learner)
    # The same place in both: the second activity of the third section.
    few_url, many_url = activity_url(few, uids(few)[7]), activity_url(many, uids(many)[7])
    client.get(few_url), client.get(many_url)
    with CaptureQueriesContext(connection) as measured:
        small = client.get(few_url).content.decode()
    with django_assert_max_num_queries(len(measured)):
        large = client.get(many_url).content.decode()
    heading = re.search(r"<li><h3><a [^>]*>Part 2</a></h3><p>.*?</p></li>", small)
    assert heading is not None
    # 55 more headings (a title a character longer at most), nothing else.
    assert len(large) - len(small) <= 55 * (len(heading[0]) + 2)
    assert large.count("data-activity-uid=") == 3


def test_previous_and_next_cross_sections_in_outline_order(client: Client, world: World, small: Course) -> None:
    enroll(small, world.learner)
    signed_in(client, world.learner)
    order = uids(small)
    last_of_first = client.get(activity_url(small, order[2])).context
    assert last_of_first["previous"]["url"] == activity_url(small, order[1])
    assert last_of_first["next"]["url"] == activity_url(small, order[3])
    assert last_of_first["next"]["title"] == "Step 2.1"
    start = client.get(activity_url(small, order[0])).context
    end = client.get(activity_url(small, order[-1])).context
    assert start["previous"] is None and start["next"]["title"] == "Step 1.2"
    assert end["next"] is None and end["previous"]["title"] == "Step 2.2"
    # The outline lists the current section's activities only, the one shown marked.
    assert [item["title"] for item in end["items"]] == ["Step 2.1", "Step 2.2", "Step 2.3"]
    assert [item["current"] for item in end["items"]] == [False, False, True]


def end_of(html: str) -> str:
    found = re.search(r'<div class="player-end" data-player-end>(.*?)</div>', html, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", found[1])


def test_the_last_activity_says_what_is_left_and_leads_back_to_the_course(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enroll(small, world.learner)
    signed_in(client, world.learner)
    order = uids(small)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in order[:2]:
            client.get(activity_url(small, uid))  # viewed: completed
    html = client.get(activity_url(small, order[-1])).content.decode()
    end = end_of(html)
    # Four of six left (this visit is not committed in the test transaction); the first not completed is next.
    assert f'4 activities left — <a href="{activity_url(small, order[2])}">next: Step 1.3</a>' in end
    assert f'href="{reverse("catalog:course", args=[small.pk])}">Back to the course page</a>' in end
    assert "Course completed" not in end
    # Not on any other activity: there "Next" leads on.
    assert "data-player-end" not in client.get(activity_url(small, order[0])).content.decode()


def test_the_last_activity_of_a_completed_course_leads_to_the_dashboard_and_transcript(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enroll(small, world.learner)
    signed_in(client, world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in uids(small):
            client.get(activity_url(small, uid))
    end = end_of(client.get(activity_url(small, uids(small)[-1])).content.decode())
    assert "Course completed" in end and "left" not in end
    assert f'href="{reverse("progress:dashboard")}"' in end
    assert f'href="{reverse("progress:transcript")}"' in end
    assert "Back to the course page" in end


def test_only_the_last_activity_left_is_said_without_a_link_to_itself(
    client: Client, world: World, small: Course, django_capture_on_commit_callbacks: Any
) -> None:
    enroll(small, world.learner)
    signed_in(client, world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        for uid in uids(small)[:-1]:
            client.get(activity_url(small, uid))
    end = end_of(client.get(activity_url(small, uids(small)[-1])).content.decode())
    assert "1 activity left — this one" in end and "next:" not in end


def test_the_team_on_the_last_activity_gets_back_to_the_course_page_only(
    client: Client, world: World, small: Course
) -> None:
    end = end_of(signed_in(client, world.instructor).get(activity_url(small, uids(small)[-1])).content.decode())
    assert "Back to the course page" in end and "left" not in end and "Course completed" not in end


def test_the_last_activity_costs_the_same_queries_for_5_or_50_sections(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    few = course_of(world, sections=5, title="Few")
    many = course_of(world, sections=50, title="Many")
    for course in (few, many):
        enrollment = enroll(course, world.learner)
        for uid in uids(course)[::2]:
            services.activity_opened(enrollment=enrollment, activity_uid=uuid.UUID(uid))
    signed_in(client, world.learner)
    few_url, many_url = activity_url(few, uids(few)[-1]), activity_url(many, uids(many)[-1])
    client.get(few_url), client.get(many_url)
    with CaptureQueriesContext(connection) as measured:
        assert "data-player-end" in client.get(few_url).content.decode()
    with django_assert_max_num_queries(len(measured)):
        assert "activities left" in client.get(many_url).content.decode()


# --- the course page with progress ---------------------------------------------------------------------------------


def test_the_course_page_shows_each_section_completion_and_opens_where_the_learner_is(
    client: Client, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    course = course_of(world, sections=30, title="Long")
    enroll(course, world.learner)
    order = uids(course)
    signed_in(client, world.learner)
    for uid in order[:3] + order[84:85]:  # all of Part 1, the first step of Part 29: viewed, so completed
        with django_capture_on_commit_callbacks(execute=True):
            client.get(activity_url(course, uid))
    response = client.get(reverse("catalog:course", args=[course.pk]))
    page = response.context["page"]
    # The page of sections holding the learner's last activity, with that section open.
    assert page.sections_page.number == 2
    assert [(s.title, s.expanded) for s in page.sections if s.expanded] == [("Part 29", True)]
    part_29 = next(s for s in page.sections if s.title == "Part 29")
    assert (part_29.state, part_29.done) == ("in_progress", 1)
    assert [a.state for a in part_29.activities] == ["completed", "not_started", "not_started"]
    html = response.content.decode()
    assert "1 of 3 completed" in html and "0 of 3 completed" in html and "Not started" in html
    first_page = client.get(reverse("catalog:course", args=[course.pk]), {"page": 1}).context["page"]
    assert (first_page.sections[0].state, first_page.sections[0].done) == ("completed", 3)
    assert "3 of 3 completed" in client.get(reverse("catalog:course", args=[course.pk]), {"page": 1}).content.decode()
    # A section loaded on demand carries the learner's states too.
    fragment = client.get(
        reverse("catalog:course-section", args=[course.pk, section_uids(course)[0]]), headers={"HX-Request": "true"}
    )
    assert fragment.content.decode().count("Completed") == 3


def test_the_course_team_sees_the_course_page_without_progress(client: Client, world: World, small: Course) -> None:
    page = signed_in(client, world.instructor).get(reverse("catalog:course", args=[small.pk])).context["page"]
    assert [s.state for s in page.sections] == ["", ""] and page.sections[0].activities[0].url


def test_a_section_of_the_outline_costs_the_same_whatever_its_size(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    few = course_of(world, sections=1, per_section=3, title="Few")
    many = course_of(world, sections=1, per_section=30, title="Many")
    for course in (few, many):
        enroll(course, world.learner)
    signed_in(client, world.learner)

    def fragment(course: Course) -> Any:
        url = reverse("progress:outline-section", args=[course.pk, section_uids(course)[0]])
        return client.get(url, headers={"HX-Request": "true"})

    fragment(few)
    fragment(many)
    with CaptureQueriesContext(connection) as measured:
        assert fragment(few).status_code == 200
    count = len(measured)
    with django_assert_max_num_queries(count):
        assert fragment(many).content.decode().count("<li") == 30
