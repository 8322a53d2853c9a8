"""The grading pages: the queue with filters (constant queries), grading with a rubric and a guide, release,
reopen, extensions, downloads — and the attacker's side (learner, non-team member, another organisation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from syllabus.assessment.models import AssignmentExtension, FileRole, SubmissionFile, SubmissionState
from syllabus.assessment.selectors_assignments import settings_for_submission
from syllabus.assessment.services import assignment_grading as svc
from syllabus.enrollment.models import CourseGroup, Enrollment, GroupMember
from tests.assessment.assignment_grading.conftest import DAY, DUE, AssignmentWorld, guide_grading, rubric_grading
from tests.factories import CourseFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def grade(aw: AssignmentWorld, sub: Any, points: str = "50", release: bool = False) -> Any:
    settings = settings_for_submission(sub)
    return svc.grade_save(
        by=aw.owner, submission=sub, settings=settings, filling={}, points=points, feedback="", release=release
    )


def test_the_queue_filters_and_keeps_its_query_count(
    aw: AssignmentWorld, sign_in: Any, django_assert_max_num_queries: Any
) -> None:
    uid = aw.publish(title="Essay one")
    other = aw.publish(title="Essay two")
    client = sign_in(aw.world.instructor)
    url = reverse("assessment:assignment-grading", args=[aw.course.pk])

    def people(n: int, start: int) -> None:
        for i in range(n):
            person = aw.learner_named(f"Person {start + i}").user
            sub = aw.submit(uid if i % 2 else other, person, late_seconds=DAY if i % 3 == 0 else 0)
            if i % 4 == 0:
                grade(aw, sub)

    people(3, 0)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    people(12, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('scope="row"') == 15

    ungraded = client.get(url, {"show": "ungraded"}).context["rows"]
    assert ungraded and all(row["waiting"] for row in ungraded)
    late = client.get(url, {"late": "on"}).context["rows"]
    assert late and all(row["late"] for row in late)
    one = client.get(url, {"assignment": str(uid)}).context["rows"]
    assert one and all(row["assignment"] == "Essay one" for row in one)
    named = client.get(url, {"q": "Person 11"}).context["rows"]
    assert [row["person"] for row in named] == ["Person 11"]


def test_the_queue_filters_by_group(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish()
    ann, bob = aw.learner_named("Ann"), aw.learner_named("Bob")
    aw.submit(uid, ann.user)
    aw.submit(uid, bob.user)
    group = CourseGroup.objects.create(organization=aw.world.org, course=aw.course, name="Site A")
    GroupMember.objects.create(group=group, enrollment=Enrollment.objects.get(course=aw.course, membership=ann))
    client = sign_in(aw.world.instructor)
    response = client.get(reverse("assessment:assignment-grading", args=[aw.course.pk]), {"group": group.pk})
    assert [row["person"] for row in response.context["rows"]] == ["Ann"]


def test_release_selected_grades_from_the_assignment_page(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish()
    subs = [aw.submit(uid, aw.learner_named(n).user) for n in ("Ann", "Bob", "Cy")]
    for sub in subs[:2]:
        grade(aw, sub)
    client = sign_in(aw.world.instructor)
    page = client.get(reverse("assessment:assignment-submissions", args=[aw.course.pk, uid]))
    assert "Release selected grades" in page.content.decode()
    response = client.post(
        reverse("assessment:assignment-release", args=[aw.course.pk, uid]), {"submission": [subs[0].pk, subs[2].pk]}
    )
    assert response.status_code == 302
    subs[0].grade.refresh_from_db()
    subs[1].grade.refresh_from_db()
    assert subs[0].grade.released and not subs[1].grade.released


def test_grading_with_a_rubric_on_the_page_and_save_and_next(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish(grading=rubric_grading(), due_at=DUE, late_penalty={"percent_per_day": "10", "max_percent": "50"})
    first = aw.submit(uid, aw.learner_named("Ann").user, late_seconds=3600)
    second = aw.submit(uid, aw.learner_named("Bob").user, late_seconds=7200)
    client = sign_in(aw.world.instructor)
    url = reverse("assessment:assignment-grade", args=[aw.course.pk, first.pk])
    page = client.get(url).content.decode()
    assert 'type="radio" name="level-c1"' in page and "Structure" in page and "1 hour" in page
    missing = client.post(url, {"level-c1": "c1-l3", "save": "1"})
    assert missing.status_code == 200
    body = missing.content.decode()
    assert "Choose a level for “Evidence”" in body and 'aria-describedby="error-c2"' in body
    done = client.post(url, {"level-c1": "c1-l3", "level-c2": "c2-l2", "remark-c1": "Fine", "save_next": "1"})
    assert done.status_code == 302 and done["Location"].startswith(
        reverse("assessment:assignment-grade", args=[aw.course.pk, second.pk])
    )
    first.refresh_from_db()
    # 17.5 of 17.5, less 10 % of 17.5 for one started day = 15.75
    assert str(first.grade.points.normalize()) == "15.75" and first.grade.filling["c1"]["remark"] == "Fine"
    assert "15.75" in client.get(url).content.decode()


def test_the_grading_page_keeps_the_queue_it_was_opened_from(aw: AssignmentWorld, sign_in: Any) -> None:
    """Opened from a filtered queue (late only, one group), "Save and next" stays in that queue and "Back" returns
    to it, filters and page included."""
    uid = aw.publish(due_at=DUE)
    ann, bob, cy, dee = (aw.learner_named(n) for n in ("Ann", "Bob", "Cy", "Dee"))
    first = aw.submit(uid, ann.user, late_seconds=3600)
    aw.submit(uid, bob.user, late_seconds=5400)  # late, but not in the group
    aw.submit(uid, cy.user)  # in the group, on time
    last = aw.submit(uid, dee.user, late_seconds=7200)
    group = CourseGroup.objects.create(organization=aw.world.org, course=aw.course, name="Site A")
    for member in (ann, cy, dee):
        GroupMember.objects.create(group=group, enrollment=Enrollment.objects.get(course=aw.course, membership=member))
    client = sign_in(aw.world.instructor)
    queue = client.get(
        reverse("assessment:assignment-submissions", args=[aw.course.pk, uid]), {"late": "on", "group": group.pk}
    )
    assert [row["person"] for row in queue.context["rows"]] == ["Ann", "Dee"]
    url = queue.context["first_url"]
    assert url.startswith(reverse("assessment:assignment-grade", args=[aw.course.pk, first.pk]) + "?")
    page = client.get(url)
    back = page.context["queue_url"]
    assert back.startswith(reverse("assessment:assignment-submissions", args=[aw.course.pk, uid]) + "?")
    assert "late=on" in back and f"group={group.pk}" in back and "one=" not in back
    done = client.post(url, {"points": "60", "save_next": "1"})
    carried = url[url.index("?") :]
    assert done["Location"] == reverse("assessment:assignment-grade", args=[aw.course.pk, last.pk]) + carried
    finished = client.post(done["Location"], {"points": "70", "save_next": "1"})
    assert finished["Location"] == back  # nothing left in this queue: Bob and Cy wait in others


def test_grading_with_a_guide_and_releasing_on_save(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish(grading=guide_grading())
    sub = aw.submit(uid)
    client = sign_in(aw.world.instructor)
    url = reverse("assessment:assignment-grade", args=[aw.course.pk, sub.pk])
    assert "Look for X" in client.get(url).content.decode()
    response = client.post(url, {"mark-g1": "9", "mark-g2": "4.5", "feedback": "<p>Good</p>", "save_release": "1"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.grade.released and str(sub.grade.percent) == "90.00"


def test_reopen_from_the_page(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish(resubmission="on_request", max_attempts=3)
    sub = aw.submit(uid)
    client = sign_in(aw.world.instructor)
    page = client.get(reverse("assessment:assignment-grade", args=[aw.course.pk, sub.pk])).content.decode()
    assert "Reopen for resubmission" in page
    client.post(reverse("assessment:assignment-reopen", args=[aw.course.pk, sub.pk]), {"reason": "Add sources"})
    sub.refresh_from_db()
    assert sub.state == SubmissionState.REOPENED


def test_extensions_page_grants_and_removes(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish(due_at=DUE)
    client = sign_in(aw.world.instructor)
    url = reverse("assessment:assignment-extensions", args=[aw.course.pk, uid])
    early = client.post(url, {"user": aw.learner.pk, "due_at": "2026-02-01T10:00", "reason": "x"})
    assert early.status_code == 200 and "must be after the assignment" in early.content.decode()
    ok = client.post(url, {"user": aw.learner.pk, "due_at": "2026-03-05T10:00", "reason": "Sick"})
    assert ok.status_code == 302
    ext = AssignmentExtension.objects.get()
    assert "Sick" in client.get(url).content.decode()
    remove = reverse("assessment:assignment-extension-remove", args=[aw.course.pk, uid, ext.pk])
    client.post(remove, {f"remove-{ext.pk}-reason": ""})
    assert AssignmentExtension.objects.exists()
    client.post(remove, {f"remove-{ext.pk}-reason": "Mistake"})
    assert not AssignmentExtension.objects.exists()


def test_files_download_for_the_team_only(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish()
    sub = aw.submit(uid)
    row = SubmissionFile(organization=aw.world.org, submission=sub, role=FileRole.SUBMISSION, name="essay.pdf", size=4)
    row.file.save("x.pdf", ContentFile(b"%PDF"), save=True)
    url = reverse("assessment:assignment-team-file", args=[aw.course.pk, row.pk])
    response = sign_in(aw.world.instructor).get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF"
    assert sign_in(aw.world.learner).get(url).status_code == 403


def test_attackers_are_refused_or_not_found(aw: AssignmentWorld, sign_in: Any) -> None:
    uid = aw.publish(resubmission="on_request")
    sub = aw.submit(uid)
    course = aw.course.pk
    pages = [
        reverse("assessment:assignment-grading", args=[course]),
        reverse("assessment:assignment-submissions", args=[course, uid]),
        reverse("assessment:assignment-grade", args=[course, sub.pk]),
        reverse("assessment:assignment-extensions", args=[course, uid]),
    ]
    posts = [
        (reverse("assessment:assignment-grade", args=[course, sub.pk]), {"points": "100", "save_release": "1"}),
        (reverse("assessment:assignment-release", args=[course, uid]), {"submission": [sub.pk]}),
        (reverse("assessment:assignment-reopen", args=[course, sub.pk]), {"reason": "x"}),
        (reverse("assessment:assignment-extensions", args=[course, uid]),
         {"user": aw.learner.pk, "due_at": "2026-04-01T10:00", "reason": "x"}),
    ]  # fmt: skip
    for who in (aw.world.learner, aw.world.engineer):
        client = sign_in(who)
        for url in pages:
            assert client.get(url).status_code == 403, url
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
    outsider = sign_in(aw.world.outsider)
    for url in pages:
        assert outsider.get(url).status_code == 404, url
    # Another organisation's course, and a submission of another course, through our own course's URLs.
    foreign = CourseFactory(organization=aw.world.other_org)
    client = sign_in(aw.world.instructor)
    assert client.get(reverse("assessment:assignment-grading", args=[foreign.pk])).status_code == 404
    mine = CourseFactory(organization=aw.world.org)
    from tests.factories import staff

    staff(mine, aw.world.instructor, "owner")
    assert client.get(reverse("assessment:assignment-grade", args=[mine.pk, sub.pk])).status_code == 404
    draft = aw.submit(uid, aw.learner_named("Dee").user, state=SubmissionState.DRAFT)
    assert client.get(reverse("assessment:assignment-grade", args=[course, draft.pk])).status_code == 404
    sub.refresh_from_db()
    assert (sub.state == SubmissionState.SUBMITTED and not hasattr(sub, "grade")) or sub.grade is None
    assert not AssignmentExtension.objects.exists()
    _ = (dt, MembershipFactory)
