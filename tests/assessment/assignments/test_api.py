"""The learner's assignment API, from the learner's and the attacker's side."""

from __future__ import annotations

import pytest

from syllabus.assessment.models.assignments import Submission
from tests.api.conftest import TokenClient
from tests.assessment.assignments.conftest import AssignmentWorld, upload
from tests.assessment.conftest import member

pytestmark = pytest.mark.django_db


def _base(w: AssignmentWorld) -> str:
    return f"/api/v1/assessment/assignments/{w.course.pk}/{w.uid}/"


def test_a_learner_saves_uploads_and_hands_in_through_the_api(
    as_member: TokenClient, assignment_world: AssignmentWorld
) -> None:
    api = as_member(assignment_world.world.learner)
    base = _base(assignment_world)
    detail = api.get(base).json()
    assert detail["can_edit"] and detail["submissions"] == [] and detail["max_points"] == "15"
    saved = api.put(f"{base}draft/", {"text": "My report", "revision": 0}, format="json")
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    stale = api.put(f"{base}draft/", {"text": "Old", "revision": 0}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"
    added = api.post(f"{base}files/", {"file": upload()}, format="multipart")
    assert added.status_code == 201 and added.json()["files"][0]["name"] == "essay.pdf"
    refused = api.post(f"{base}files/", {"file": upload("evil.pdf", b"MZ\x90\x00" + b"\x00" * 64)}, format="multipart")
    assert refused.status_code == 400
    assert api.post(f"{base}submit/", {"confirm": False}, format="json").status_code == 400
    done = api.post(f"{base}submit/", {"confirm": True}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "submitted"
    asked = api.post(f"{base}reopen-request/", {"note": "Wrong file"}, format="json")
    assert asked.status_code == 200 and asked.json()["reopen_requested_at"]


def test_another_learners_or_organisations_calls_find_nothing(
    as_member: TokenClient, assignment_world: AssignmentWorld
) -> None:
    assignment_world.save("Mine")
    base = _base(assignment_world)
    other = member(assignment_world.world, "Nina Nosy")
    assignment_world.enroll(other)
    # Another learner sees only their own (empty) submissions and cannot touch the first one's.
    assert as_member(other).get(base).json()["submissions"] == []
    assert as_member(assignment_world.world.outsider).get(base).status_code == 404
    assert (
        as_member(assignment_world.world.engineer)
        .put(f"{base}draft/", {"text": "x", "revision": 0}, format="json")
        .status_code
        == 404
    )
    assert Submission.objects.get().text == "Mine"
