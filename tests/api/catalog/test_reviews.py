"""/api/v1/reviews/: the queue, a submission with its diff and comments, and the decision."""

from __future__ import annotations

import pytest

from syllabus.audit.models import AuditRecord
from syllabus.catalog import services
from syllabus.catalog.models import Course, ReviewRequest
from tests.api.catalog.conftest import REVIEWS, build_course, course_url
from tests.api.conftest import error_fields
from tests.factories import publish, staff

pytestmark = pytest.mark.django_db


def review_url(review: ReviewRequest | int, tail: str = "") -> str:
    pk = review if isinstance(review, int) else review.pk
    return f"{REVIEWS}{pk}/{tail}"


@pytest.fixture
def review(world, course) -> ReviewRequest:
    return services.course_submit(course=course, by=world.instructor.user, notes="Ready for a look.")


def test_the_team_submits_and_the_reviewer_finds_it_in_the_queue(world, as_member, course):
    response = as_member(world.instructor).post(course_url(course, "submit/"), {"notes": "Please check"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending"
    assert body["change"] == "major"
    assert body["submitted_by"]["display_name"] == "Ingrid Instructor"
    queue = as_member(world.reviewer).get(REVIEWS).json()
    assert [row["id"] for row in queue["results"]] == [body["id"]]
    assert queue["results"][0]["course"] == {"id": course.pk, "title": "Fire safety"}
    assert queue["results"][0]["comment_count"] == 0
    assert as_member(world.instructor).get(course_url(course)).json()["pending_review"] == body["id"]


def test_the_queue_is_for_reviewers_only(world, as_member, review):
    assert as_member(world.learner).get(REVIEWS).status_code == 403
    assert as_member(world.instructor).get(REVIEWS).status_code == 403


def test_the_queue_costs_a_constant_number_of_queries(world, as_member, review, django_assert_max_num_queries):
    client = as_member(world.reviewer)
    with django_assert_max_num_queries(12) as few:
        assert client.get(REVIEWS).json()["count"] == 1
    for index in range(6):
        services.course_submit(course=build_course(world, f"Course {index}", pages=1), by=world.instructor.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(REVIEWS).json()["count"] == 7


def test_a_review_shows_what_changed_and_its_comments(world, as_member, course):
    publish(course, by=world.org_admin.user)
    services.course_update(course=course, by=world.instructor.user, summary="Stay safe at work.")
    review = services.course_submit(course=course, by=world.instructor.user)
    reviewer = as_member(world.reviewer)
    section_uid = str(course.sections.get().uid)
    comment = reviewer.post(
        review_url(review, "comments/"), {"body": "Add a map.", "about_uid": section_uid}, format="json"
    )
    assert comment.status_code == 201, comment.json()
    body = reviewer.get(review_url(review)).json()
    assert body["base_version"] == "1.0"
    assert body["change"] == "minor"
    assert body["can_decide"] is True
    assert body["can_withdraw"] is False
    assert body["snapshot"]["summary"] == "Stay safe at work."
    summary = body["changes"][0]["fields"][0]
    assert (summary["name"], summary["before"], summary["after"]) == ("summary", "Stay safe.", "Stay safe at work.")
    assert [(c["body"], c["about_uid"], c["author"]["display_name"]) for c in body["comments"]] == [
        ("Add a map.", section_uid, "Rhea Reviewer")
    ]
    team_view = as_member(world.instructor).get(review_url(review)).json()
    assert team_view["can_decide"] is False
    assert team_view["can_withdraw"] is True
    reply = as_member(world.instructor).post(review_url(review, "comments/"), {"body": "Done."}, format="json")
    assert reply.status_code == 201
    empty = reviewer.post(review_url(review, "comments/"), {"body": ""}, format="json")
    assert error_fields(empty) == {"body": services.COMMENT_REQUIRED}


def test_approving_publishes_exactly_what_was_submitted(world, as_member, review, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member(world.reviewer).post(review_url(review, "approve/"), {"notes": "Good"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["review"]["state"] == "approved"
    assert body["review"]["decided_by"]["display_name"] == "Rhea Reviewer"
    assert body["version"]["label"] == "1.0"
    assert body["version"]["is_current"] is True
    course = Course.objects.get(pk=review.course_id)
    assert course.published_version_id == body["version"]["id"]
    assert not course.in_review
    assert AuditRecord.objects.filter(action="course.approved").exists()
    again = as_member(world.reviewer).post(review_url(review, "approve/"), {}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == services.NOT_PENDING


def test_nobody_approves_their_own_submission(world, as_member, course):
    own = services.course_submit(course=course, by=world.org_admin.user)
    response = as_member(world.org_admin).post(review_url(own, "approve/"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == services.SELF_APPROVAL
    own.refresh_from_db()
    assert own.state == ReviewRequest.State.PENDING


def test_the_team_cannot_approve_its_own_course(world, as_member, review):
    response = as_member(world.instructor).post(review_url(review, "approve/"), {}, format="json")
    assert response.status_code == 403
    assert (
        as_member(world.instructor).post(review_url(review, "reject/"), {"reason": "x"}, format="json").status_code
        == 403
    )


def test_sending_back_needs_a_reason_and_unlocks_the_draft(world, as_member, review):
    client = as_member(world.reviewer)
    missing = client.post(review_url(review, "reject/"), {"reason": " "}, format="json")
    assert missing.status_code == 400
    assert error_fields(missing) == {"reason": services.REASON_REQUIRED}
    response = client.post(review_url(review, "reject/"), {"reason": "Add a section on alarms."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "rejected"
    detail = as_member(world.instructor).get(review_url(review)).json()
    assert [c["body"] for c in detail["comments"]] == ["Add a section on alarms."]
    edited = as_member(world.instructor).patch(course_url(review.course_id), {"title": "Better"}, format="json")
    assert edited.status_code == 200


def test_the_team_withdraws_a_submission_but_a_non_editing_instructor_may_not(world, as_member, review):
    staff(review.course, world.manager, "instructor")
    assert as_member(world.manager).post(review_url(review, "withdraw/")).status_code == 403
    response = as_member(world.instructor).post(review_url(review, "withdraw/"))
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"
    assert as_member(world.instructor).get(course_url(review.course_id)).json()["state"] == "draft"


def test_people_outside_the_review_do_not_find_it(world, as_member, review):
    for member in (world.learner, world.engineer, world.outsider):
        client = as_member(member)
        assert client.get(review_url(review)).status_code == 404
        assert client.post(review_url(review, "comments/"), {"body": "hi"}, format="json").status_code == 404
        assert client.post(review_url(review, "approve/"), {}, format="json").status_code == 404
        assert client.post(review_url(review, "withdraw/")).status_code == 404
    review.refresh_from_db()
    assert review.state == ReviewRequest.State.PENDING
    assert not review.comments.exists()
