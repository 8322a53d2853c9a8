"""The assignment grading API: the queue, one submission, PUT grade, release, reopen, extensions; attackers."""

from __future__ import annotations

from typing import Any

import pytest

from syllabus.assessment.models import AssignmentExtension, SubmissionState
from tests.api.conftest import V1
from tests.assessment.assignment_grading.conftest import DUE, AssignmentWorld, rubric_grading

pytestmark = pytest.mark.django_db

API = f"{V1}/assessment/courses"


def test_grade_release_and_read_through_the_api(aw: AssignmentWorld, as_member: Any) -> None:
    uid = aw.publish(grading=rubric_grading(), resubmission="on_request")
    sub = aw.submit(uid)
    client = as_member(aw.world.instructor)
    listed = client.get(f"{API}/{aw.course.pk}/assignments/submissions/", {"show": "ungraded"})
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [sub.pk]
    url = f"{API}/{aw.course.pk}/assignments/submissions/{sub.pk}/"
    bad = client.put(url, {"filling": {"c1": "c1-l2"}}, format="json")
    assert bad.status_code == 400 and "c2" in str(bad.json())
    ok = client.put(url, {"filling": {"c1": "c1-l2", "c2": {"level": "c2-l2"}}, "feedback": "Nice"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["grade"]["points"] == "12.5" and ok.json()["grade"]["released"] is False
    released = client.post(f"{API}/{aw.course.pk}/assignments/{uid}/release/", {"submissions": [sub.pk]}, format="json")
    assert released.json() == {"released": 1}
    assert client.get(url).json()["grade"]["released"] is True
    reopened = client.post(f"{url}reopen/", {"reason": "Add a source"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["state"] == SubmissionState.REOPENED


def test_extensions_through_the_api(aw: AssignmentWorld, as_member: Any) -> None:
    uid = aw.publish(due_at=DUE)
    client = as_member(aw.world.instructor)
    url = f"{API}/{aw.course.pk}/assignments/{uid}/extensions/"
    early = client.post(url, {"user": aw.learner.pk, "due_at": "2026-01-01T00:00:00Z", "reason": "x"}, format="json")
    assert early.status_code == 400 and "due_at" in str(early.json())
    made = client.post(url, {"user": aw.learner.pk, "due_at": "2026-03-04T00:00:00Z", "reason": "Ill"}, format="json")
    assert made.status_code == 201
    assert [e["learner"]["id"] for e in client.get(url).json()["results"]] == [aw.learner.pk]
    gone = client.delete(f"{url}{made.json()['id']}/", {"reason": "Recovered"}, format="json")
    assert gone.status_code == 204 and not AssignmentExtension.objects.exists()


def test_learners_and_outsiders_are_refused_every_endpoint(aw: AssignmentWorld, as_member: Any) -> None:
    uid = aw.publish(resubmission="on_request")
    sub = aw.submit(uid)
    course = aw.course.pk
    reads = [
        f"{API}/{course}/assignments/submissions/",
        f"{API}/{course}/assignments/submissions/{sub.pk}/",
        f"{API}/{course}/assignments/{uid}/extensions/",
    ]
    writes = [
        ("put", f"{API}/{course}/assignments/submissions/{sub.pk}/", {"points": "100", "release": True}),
        ("post", f"{API}/{course}/assignments/{uid}/release/", {"submissions": [sub.pk]}),
        ("post", f"{API}/{course}/assignments/submissions/{sub.pk}/reopen/", {"reason": "x"}),
        ("post", f"{API}/{course}/assignments/{uid}/extensions/",
         {"user": aw.learner.pk, "due_at": "2026-05-01T00:00:00Z", "reason": "x"}),
    ]  # fmt: skip
    for who, code in ((aw.world.learner, 403), (aw.world.engineer, 403), (aw.world.outsider, 404)):
        client = as_member(who)
        for url in reads:
            assert client.get(url).status_code == code, (who, url)
        for method, url, body in writes:
            assert getattr(client, method)(url, body, format="json").status_code == code, (who, url)
    sub.refresh_from_db()
    assert sub.state == SubmissionState.SUBMITTED and not AssignmentExtension.objects.exists()
