"""Review R1, the learner's side: hostile file names and text, and who may fetch which file."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.assessment.models.assignments import FileRole, SubmissionFile
from syllabus.assessment.services import assignments as services
from tests.assessment.assignments.conftest import PDF, AssignmentWorld, make_assignment_world, upload
from tests.assessment.conftest import member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report\u202efdp.exe", None),  # shows as "reportexe.pdf": the real extension is what counts
        ("essay\u202ecod.pdf", "essaycod.pdf"),
        ("../../etc/pass\x00wd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("line\u2028break.pdf", "linebreak.pdf"),
    ],
)
def test_file_names_lose_folders_controls_and_bidi_overrides(raw: str, clean: str | None) -> None:
    if clean is None:
        assert services.clean_name(raw).endswith(".exe")  # and check_file refuses it as a program
    else:
        assert services.clean_name(raw) == clean


def test_an_uploaded_name_with_a_bidi_override_is_stored_clean(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("With file")
    added = services.submission_file_add(
        by=assignment_world.learner, submission=draft, upload=upload("inv\u202efdp.txt", b"plain words")
    )
    assert added.name == "invfdp.txt" and added.file.name.startswith("submissions/")


def test_nul_bytes_in_the_text_and_the_note_are_dropped(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("My\x00 report")
    assert draft.text == "My report"
    handed = assignment_world.submit(draft)
    asked = services.reopen_request(by=assignment_world.learner, submission=handed, note="Please\x00")
    assert asked.reopen_note == "Please"


def test_an_unreleased_feedback_file_and_another_courses_file_are_not_served(
    client: Client,
    assignment_world: AssignmentWorld,
    moved_clock: Any,
) -> None:
    aw = assignment_world
    draft = aw.save("With file")
    mine = services.submission_file_add(by=aw.learner, submission=draft, upload=upload())
    handed = aw.submit(draft)
    feedback = SubmissionFile.objects.create(
        organization=aw.world.org, submission=handed, role=FileRole.FEEDBACK, name="notes.pdf", size=len(PDF),
        file=mine.file.name, uploaded_by=aw.owner,
    )  # fmt: skip
    client.force_login(aw.learner)
    url = reverse("assessment:assignment-file", args=[aw.course.pk, aw.uid, feedback.pk])
    assert client.get(url).status_code == 404  # no released grade yet

    # The same learner in another course: its file id under this course's address is not found.
    other = make_assignment_world(aw.world, moved_clock)
    other_draft = other.save("Other course")
    theirs = services.submission_file_add(by=other.learner, submission=other_draft, upload=upload())
    client.force_login(aw.learner)
    assert client.get(reverse("assessment:assignment-file", args=[aw.course.pk, aw.uid, theirs.pk])).status_code == 404
    # Another learner of the course never gets my file, not even through the team's address.
    nosy = member(aw.world, "Nina Nosy")
    aw.enroll(nosy)
    client.force_login(nosy.user)
    team_url = reverse("assessment:assignment-team-file", args=[aw.course.pk, mine.pk])
    assert client.get(team_url).status_code in (403, 404)


def test_the_teams_download_is_sandboxed_and_not_cached(client: Client, assignment_world: AssignmentWorld) -> None:
    aw = assignment_world
    draft = aw.save("With file")
    added = services.submission_file_add(by=aw.learner, submission=draft, upload=upload())
    aw.submit(draft)
    client.force_login(aw.owner)
    response = client.get(reverse("assessment:assignment-team-file", args=[aw.course.pk, added.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"] and response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
