"""The review pages: the queue (reviewers only, oldest first, constant queries), one review with its accessible
word diff and comment thread, and the decision (approve = publish; send back with a reason), from the attacker's
side too: learners, other organisations, and the submitter approving their own work."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.catalog import services
from syllabus.catalog.models import Activity, Course, CourseVersion, ReviewComment, ReviewRequest
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, SectionFactory, publish, staff

pytestmark = pytest.mark.django_db

QUEUE = reverse("catalog:reviews")


def review_url(review: ReviewRequest, action: str = "") -> str:
    return reverse(f"catalog:review{'-' + action if action else ''}", args=[review.pk])


@pytest.fixture
def as_person(client: Client) -> Any:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def review(world: World, course: Course) -> ReviewRequest:
    """The course published once, then a text change submitted for review by its owner."""
    by = world.instructor.user
    publish(course, by=by)
    welcome = Activity.objects.get(title="Welcome")
    services.activity_update(activity=welcome, by=by, data={"body": "<p>Fire extinguishers are red and heavy.</p>"})
    return services.course_submit(course=course, by=by, notes="Clarified the welcome.")


def html_of(response: Any) -> str:
    return str(response.content.decode())


def test_a_reviewer_sees_the_queue_oldest_first(as_person, world, review):
    later = CourseFactory(organization=world.org, title="Later course")
    staff(later, world.instructor)
    ActivityFactory(section=SectionFactory(course=later))
    second = services.course_submit(course=later, by=world.instructor.user)
    response = as_person(world.reviewer).get(QUEUE)
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [review, second]
    html = html_of(response)
    assert "Fire safety" in html and "Ingrid Instructor" in html and "Minor" in html and "Major" in html


@pytest.mark.parametrize("persona", ["learner", "instructor", "manager"])
def test_people_who_do_not_review_cannot_open_the_queue(as_person, world, review, persona):
    assert as_person(getattr(world, persona)).get(QUEUE).status_code == 403


def test_another_organisation_sees_neither_its_queue_entry_nor_the_review(as_person, world, review):
    client = as_person(world.outsider)
    assert list(client.get(QUEUE).context["page_obj"]) == []
    assert client.get(review_url(review)).status_code == 404
    assert client.post(review_url(review, "approve")).status_code == 404
    review.refresh_from_db()
    assert review.state == ReviewRequest.State.PENDING


def test_a_learner_cannot_read_a_review(as_person, world, review):
    assert as_person(world.learner).get(review_url(review)).status_code == 404


def test_the_queue_costs_the_same_queries_for_3_or_30_reviews(as_person, world, django_assert_max_num_queries):
    client = as_person(world.reviewer)

    def submit(count: int) -> None:
        for index in range(count):
            course = CourseFactory(organization=world.org, title=f"Course {index}")
            staff(course, world.instructor)
            ActivityFactory(section=SectionFactory(course=course))
            services.course_submit(course=course, by=world.instructor.user)

    submit(3)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as three:
        client.get(QUEUE)
    submit(27)
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["page_obj"]) == 25


def test_the_review_shows_an_accessible_word_diff(as_person, world, review):
    response = as_person(world.reviewer).get(review_url(review))
    assert response.status_code == 200
    html = html_of(response)
    assert "Activity changed: Welcome (Page)" in html
    assert (
        'Fire extinguishers are <del><span class="visually-hidden">removed: </span>red.</del>'
        '<ins><span class="visually-hidden">added: </span>red and heavy.</ins>'
    ) in html
    assert "Clarified the welcome." in html
    assert "Approve" in html and "Send back" in html


def test_a_comment_can_be_about_one_activity(as_person, world, review):
    welcome = Activity.objects.get(title="Welcome")
    client = as_person(world.reviewer)
    response = client.post(
        review_url(review, "comment"), {"body": "Which extinguisher?", "about_uid": str(welcome.uid)}
    )
    assert response.status_code == 302
    comment = ReviewComment.objects.get()
    assert comment.about_uid == welcome.uid and comment.author == world.reviewer.user
    page = client.get(review_url(review))
    assert "Which extinguisher?" in html_of(page) and "about Activity: Welcome" in html_of(page)
    empty = client.post(review_url(review, "comment"), {"body": ""})
    assert empty.status_code == 400 and empty.context["comment_form"].errors["body"]


def test_the_course_team_reads_the_review_and_comments_but_cannot_decide(as_person, world, review):
    client = as_person(world.instructor)
    page = client.get(review_url(review))
    assert page.status_code == 200 and page.context["can_decide"] is False
    assert "Approve" not in html_of(page)
    client.post(review_url(review, "comment"), {"body": "Thanks!"})
    assert ReviewComment.objects.filter(body="Thanks!").exists()
    assert client.post(review_url(review, "approve")).status_code == 403
    review.refresh_from_db()
    assert review.state == ReviewRequest.State.PENDING


def test_approving_publishes_and_the_author_sees_it_in_the_history(as_person, world, review, client):
    response = as_person(world.reviewer).post(review_url(review, "approve"), {"notes": "Looks good."}, follow=True)
    assert "version 1.1 is published" in html_of(response)
    review.refresh_from_db()
    assert review.state == ReviewRequest.State.APPROVED
    version = CourseVersion.objects.get(course=review.course, major=1, minor=1)
    assert version.notes == "Looks good."
    history = as_person(world.instructor).get(reverse("catalog:course-history", args=[review.course_id]))
    html = html_of(history)
    assert "1.1" in html and "Approved" in html and "Looks good." in html


def test_sending_back_needs_a_reason(as_person, world, review):
    client = as_person(world.reviewer)
    refused = client.post(review_url(review, "reject"), {"reason": ""})
    assert refused.status_code == 400
    assert refused.context["reject_form"].errors["reason"]
    client.post(review_url(review, "reject"), {"reason": "Say which extinguisher."})
    review.refresh_from_db()
    assert review.state == ReviewRequest.State.REJECTED
    review.course.refresh_from_db()
    assert not review.course.in_review


def test_the_submitter_cannot_approve_their_own_submission(as_person, world, course):
    staff(course, world.org_admin, role="editor")
    own = services.course_submit(course=course, by=world.org_admin.user)
    client = as_person(world.org_admin)
    page = client.get(review_url(own))
    assert "You submitted this version: someone else must review it." in html_of(page)
    response = client.post(review_url(own, "approve"), {"notes": ""})
    assert response.status_code == 400
    assert services.SELF_APPROVAL in html_of(response)
    own.refresh_from_db()
    assert own.state == ReviewRequest.State.PENDING


def test_a_decided_review_cannot_be_decided_again(as_person, world, review):
    client = as_person(world.reviewer)
    client.post(review_url(review, "reject"), {"reason": "No."})
    response = client.post(review_url(review, "approve"), {"notes": ""})
    assert response.status_code == 400
    assert services.NOT_PENDING in html_of(response)
    assert not CourseVersion.objects.filter(minor=1).exists()


def test_a_resubmitted_review_shows_the_earlier_rounds_collapsed(as_person, world, review):
    welcome = Activity.objects.get(title="Welcome")
    services.review_comment_add(
        review=review, by=world.reviewer.user, body="Which extinguisher?", about_uid=welcome.uid
    )
    services.review_reject(review=review, by=world.reviewer.user, reason="Name the extinguisher types.")
    again = services.course_submit(course=review.course, by=world.instructor.user, notes="Named them.")
    response = as_person(world.reviewer).get(review_url(again))
    assert response.status_code == 200
    [earlier] = response.context["earlier_rounds"]
    assert earlier.review == review
    assert [(item.comment.body, item.about) for item in earlier.comments] == [
        ("Which extinguisher?", "Activity: Welcome"),
        ("Name the extinguisher types.", ""),
    ]
    html = html_of(response)
    assert "Earlier rounds" in html and '<details class="card">' in html
    assert "Name the extinguisher types." in html and "about Activity: Welcome" in html
    # The first round has nothing before it.
    assert as_person(world.reviewer).get(review_url(review)).context["earlier_rounds"] == []


def test_earlier_rounds_stop_at_the_published_version(as_person, world, course):
    by = world.instructor.user
    first = services.course_submit(course=course, by=by)
    services.review_reject(review=first, by=world.reviewer.user, reason="Before version 1.0.")
    approved = services.course_submit(course=course, by=by)
    services.review_approve(review=approved, by=world.reviewer.user)
    services.activity_update(activity=Activity.objects.get(title="Welcome"), by=by, title="Welcome aboard")
    later = services.course_submit(course=course, by=by)
    response = as_person(world.reviewer).get(review_url(later))
    assert response.context["earlier_rounds"] == []
    assert "Before version 1.0." not in html_of(response)
