"""A person's submissions in the privacy export and erasure; a course with submissions keeps its records."""

from __future__ import annotations

import pytest

from syllabus.assessment import learner_records, privacy
from syllabus.assessment.models.assignments import Submission, SubmissionFile
from syllabus.assessment.services import assignments as services
from tests.assessment.assignments.conftest import AssignmentWorld, upload

pytestmark = pytest.mark.django_db


def test_export_then_erase_keeps_the_submission_but_not_its_words_or_files(
    assignment_world: AssignmentWorld, django_capture_on_commit_callbacks
) -> None:
    draft = assignment_world.save("About my workplace")
    added = services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload())
    assignment_world.submit(draft)
    exported = privacy.export_person(assignment_world.learner, None)["assignment_submissions"]
    assert exported[0]["text"] == "About my workplace" and exported[0]["files"][0]["name"] == "essay.pdf"
    assert exported[0]["assignment"] == "Incident report" and exported[0]["grade"] is None
    stored = added.file.name
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(assignment_world.learner, assignment_world.owner)
    submission = Submission.objects.get()
    assert submission.text == "" and submission.state == "submitted"
    assert not SubmissionFile.objects.exists() and not added.file.storage.exists(stored)
    assert learner_records.has_learner_records(assignment_world.course.pk)
