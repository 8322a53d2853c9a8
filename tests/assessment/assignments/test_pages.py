"""The learner's pages: the assignment in the player, the draft, handing in, files; from the attacker's side too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.access.policy import forget
from syllabus.assessment.models.assignments import Submission, SubmissionFile
from syllabus.assessment.services import assignments as services
from tests.assessment.assignments.conftest import AssignmentWorld, upload
from tests.assessment.conftest import member

pytestmark = pytest.mark.django_db


def _urls(w: AssignmentWorld) -> dict[str, str]:
    args = [w.course.pk, w.uid]
    return {
        "activity": reverse("catalog:activity", args=args),
        "edit": reverse("assessment:assignment-submission", args=args),
        "submit": reverse("assessment:assignment-submit", args=args),
        "request": reverse("assessment:assignment-reopen-request", args=args),
    }


def test_a_learner_writes_adds_a_file_and_hands_in(client: Client, assignment_world: AssignmentWorld) -> None:
    client.force_login(assignment_world.learner)
    urls = _urls(assignment_world)
    page = client.get(urls["activity"]).content.decode()
    assert "Add submission" in page and "Time left: 3 days" in page
    response = client.post(
        urls["edit"], {"text": "The door was blocked.", "revision": "0", "file": upload(), "go": "save"}
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.text == "The door was blocked." and submission.files.count() == 1
    response = client.post(
        urls["edit"], {"text": "The door was blocked.", "revision": str(submission.revision), "go": "submit"}
    )
    assert response.url == urls["submit"]
    confirm = client.get(urls["submit"]).content.decode()
    assert "This is my own work" in confirm and "essay.pdf" in confirm
    assert client.post(urls["submit"], {}).status_code == 400  # no statement ticked
    assert client.post(urls["submit"], {"confirm": "on"}).status_code == 302
    assert Submission.objects.get().state == "submitted"
    page = client.get(urls["activity"]).content.decode()
    assert "Handed in for grading" in page and "Ask for a resubmission" in page


def test_a_stale_tab_is_told_and_its_text_shown_back(client: Client, assignment_world: AssignmentWorld) -> None:
    assignment_world.save("Newer")
    client.force_login(assignment_world.learner)
    response = client.post(_urls(assignment_world)["edit"], {"text": "From an old tab", "revision": "0", "go": "save"})
    html = response.content.decode()
    assert response.status_code == 400 and "another tab" in html and "From an old tab" in html


def test_the_player_page_queries_stay_constant(
    client: Client, assignment_world: AssignmentWorld, django_assert_max_num_queries
) -> None:
    url = _urls(assignment_world)["activity"]
    draft = assignment_world.save("Try one")
    services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload("0.pdf"))
    client.force_login(assignment_world.learner)
    client.get(url)
    forget(assignment_world.learner)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload("1.pdf"))
    submitted = assignment_world.submit(draft)
    Submission.objects.filter(pk=submitted.pk).update(state="reopened")
    assignment_world.submit(assignment_world.save("Try two", revision=0))
    forget(assignment_world.learner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_files_are_served_to_the_owner_and_the_team_only(client: Client, assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("With file")
    added = services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload())
    url = reverse("assessment:assignment-file", args=[assignment_world.course.pk, assignment_world.uid, added.pk])
    client.force_login(assignment_world.learner)
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(assignment_world.owner)
    assert client.get(url).status_code == 200
    other = member(assignment_world.world, "Nina Nosy")
    assignment_world.enroll(other)
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    client.force_login(assignment_world.world.outsider.user)
    assert client.get(url).status_code in (302, 404)


def test_someone_who_does_not_learn_the_course_gets_404(client: Client, assignment_world: AssignmentWorld) -> None:
    urls = _urls(assignment_world)
    client.force_login(assignment_world.world.engineer.user)
    assert client.get(urls["edit"]).status_code == 404
    assert client.post(urls["edit"], {"text": "x", "revision": "0"}).status_code == 404
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
