"""The learner's side of an assignment: drafts, files, handing in, dates with extensions, another try."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.access.policy import forget
from syllabus.assessment.models.assignments import AssignmentExtension, Submission, SubmissionFile, SubmissionState
from syllabus.assessment.services import assignments as services
from syllabus.audit.models import AuditRecord
from tests.assessment.assignments.conftest import PDF, AssignmentWorld, upload
from tests.assessment.conftest import NOW, member

pytestmark = pytest.mark.django_db


def test_a_first_save_makes_a_draft_and_counts_its_words(assignment_world: AssignmentWorld) -> None:
    submission = assignment_world.save("Fire  door\nwas blocked")
    assert (submission.number, submission.state, submission.word_count, submission.revision) == (1, "draft", 4, 1)
    assert submission.version_id == assignment_world.version.pk


def test_a_stale_tab_cannot_overwrite_a_newer_save(assignment_world: AssignmentWorld) -> None:
    first = assignment_world.save("One")
    assignment_world.save("Two", revision=first.revision)
    with pytest.raises(services.StaleRevision) as caught:
        assignment_world.save("Old tab", revision=first.revision)
    assert services.STALE in caught.value.messages
    assert Submission.objects.get(pk=first.pk).text == "Two"


def test_nothing_is_saved_before_submissions_open_or_after_the_cut_off(assignment_world: AssignmentWorld) -> None:
    other = assignment_world.publish_assignment(opens_at=(NOW + dt.timedelta(days=1)).isoformat())
    with pytest.raises(ValidationError, match="Submissions open on"):
        assignment_world.save("Early", uid=other.uid)
    assignment_world.clock.move(days=11)
    with pytest.raises(ValidationError, match="Submissions closed on"):
        assignment_world.save("Too late")


def test_handing_in_records_lateness_against_the_persons_extension(
    assignment_world: AssignmentWorld, django_capture_on_commit_callbacks, assignment_signals
) -> None:
    draft = assignment_world.save("My report")
    AssignmentExtension.objects.create(
        organization=assignment_world.world.org, user=assignment_world.learner, course=assignment_world.course,
        activity_uid=assignment_world.uid, due_at=NOW + dt.timedelta(days=5), reason="Sick leave",
    )  # fmt: skip
    assignment_world.clock.move(days=5, hours=2)  # 2 hours after the extension's due date
    with django_capture_on_commit_callbacks(execute=True):
        submitted = assignment_world.submit(draft)
    assert submitted.state == SubmissionState.SUBMITTED and submitted.late_seconds == 2 * 3600
    assert [(s.kind, s.signal, s.user_id) for s in assignment_signals] == [
        ("assignment", "submitted", assignment_world.learner.pk)
    ]
    assert AuditRecord.objects.filter(action="assessment.submission_submitted").count() == 1


def test_the_extension_moves_the_cut_off_when_it_has_none_of_its_own(assignment_world: AssignmentWorld) -> None:
    settings = assignment_world.settings
    AssignmentExtension.objects.create(
        organization=assignment_world.world.org, user=assignment_world.learner, course=assignment_world.course,
        activity_uid=assignment_world.uid, due_at=NOW + dt.timedelta(days=20), reason="Court case",
    )  # fmt: skip
    dates = services.dates_for(
        settings=settings, user_id=assignment_world.learner.pk, course_id=assignment_world.course.pk,
        activity_uid=assignment_world.uid,
    )  # fmt: skip
    assert dates.due_at == dates.cutoff_at == NOW + dt.timedelta(days=20)
    assignment_world.clock.move(days=15)
    assert assignment_world.save("Still in time").state == "draft"


def test_handing_in_needs_the_statement_and_something_to_hand_in(assignment_world: AssignmentWorld) -> None:
    empty = assignment_world.save("   ")
    with pytest.raises(ValidationError) as caught:
        services.submission_submit(by=assignment_world.learner, submission=empty, confirm=False)
    assert caught.value.message_dict == {
        "confirm": [services.CONFIRM_REQUIRED],
        "__all__": [services.NOTHING_TO_SUBMIT],
    }


def test_the_word_limit_is_enforced_on_handing_in(assignment_world: AssignmentWorld) -> None:
    other = assignment_world.publish_assignment(word_limit=3)
    draft = assignment_world.save("one two three four", uid=other.uid)
    with pytest.raises(ValidationError) as caught:
        assignment_world.submit(draft)
    assert caught.value.message_dict["text"] == [services.OVER_WORD_LIMIT.format(count=4, limit=3)]


def test_a_handed_in_submission_is_read_only(assignment_world: AssignmentWorld) -> None:
    submitted = assignment_world.submit(assignment_world.save("Final"))
    with pytest.raises(ValidationError, match="handed in"):
        assignment_world.save("Changed", revision=submitted.revision)
    with pytest.raises(ValidationError, match="handed in"):
        services.submission_file_add(by=assignment_world.learner, submission=submitted, upload=upload())
    with pytest.raises(ValidationError):
        services.submission_submit(by=assignment_world.learner, submission=submitted, confirm=True)


def test_a_file_is_stored_under_submissions_with_its_hash_and_clean_name(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("With a file")
    added = services.submission_file_add(
        by=assignment_world.learner, submission=draft, upload=upload("../../etc/My report.pdf")
    )
    assert added.name == "My report.pdf" and added.size == len(PDF)
    assert added.file.name.startswith("submissions/") and added.file.name.endswith(".pdf")
    import hashlib

    assert added.sha256 == hashlib.sha256(PDF).hexdigest() and added.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024), "too large"),
        ("notes.odt", PDF, "not accepted here"),
        ("essay.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "program"),
        ("run.exe", b"MZ\x90\x00", "program"),
        ("essay.pdf", b"plain words, not a PDF", "not really a .pdf"),
        ("page.txt", b"<html><script>alert(1)</script></html>", "HTML or SVG"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_files_are_refused_by_size_type_and_content(
    assignment_world: AssignmentWorld, name: str, content: bytes, message: str
) -> None:
    draft = assignment_world.save("Files")
    with pytest.raises(ValidationError) as caught:
        services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload(name, content))
    assert message in " ".join(caught.value.message_dict["file"])
    assert not SubmissionFile.objects.exists()


def test_no_more_files_than_the_assignment_takes(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("Files")
    for number in range(2):
        services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload(f"{number}.pdf"))
    with pytest.raises(ValidationError, match="at most 2 files"):
        services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload("3.pdf"))


def test_a_file_can_be_removed_from_a_draft(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("Files")
    added = services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload())
    services.submission_file_remove(by=assignment_world.learner, submission=draft, file_id=added.pk)
    assert not SubmissionFile.objects.exists()


def test_a_reopened_submission_is_followed_by_a_copy_with_its_text_and_files(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("First try")
    services.submission_file_add(by=assignment_world.learner, submission=draft, upload=upload())
    submitted = assignment_world.submit(draft)
    Submission.objects.filter(pk=submitted.pk).update(state=SubmissionState.REOPENED)  # as the team's reopen does
    second = assignment_world.save("Second try", revision=0)
    assert (second.number, second.state, second.text) == (2, "draft", "Second try")
    old_file = SubmissionFile.objects.get(submission=submitted)
    new_file = SubmissionFile.objects.get(submission=second)
    assert (new_file.name, new_file.sha256, new_file.file.name) == (old_file.name, old_file.sha256, old_file.file.name)
    # Removing the copy leaves the first submission's file in place.
    services.submission_file_remove(by=assignment_world.learner, submission=second, file_id=new_file.pk)
    assert SubmissionFile.objects.get(pk=old_file.pk).file.storage.exists(old_file.file.name)


def test_another_try_may_be_asked_for_once_and_within_the_attempts(assignment_world: AssignmentWorld) -> None:
    submitted = assignment_world.submit(assignment_world.save("First"))
    asked = services.reopen_request(by=assignment_world.learner, submission=submitted, note="I attached the wrong file")
    assert asked.reopen_requested_at == NOW and asked.reopen_note == "I attached the wrong file"
    with pytest.raises(ValidationError, match="already asked"):
        services.reopen_request(by=assignment_world.learner, submission=asked, note="")
    # The second (last of 2) submission: no try left.
    Submission.objects.filter(pk=submitted.pk).update(state=SubmissionState.REOPENED)
    second = assignment_world.submit(assignment_world.save("Second", revision=0))
    with pytest.raises(ValidationError, match="used all 2"):
        services.reopen_request(by=assignment_world.learner, submission=second, note="")


def test_nobody_else_writes_to_a_learners_submission(assignment_world: AssignmentWorld) -> None:
    draft = assignment_world.save("Mine")
    other = member(assignment_world.world, "Nina Nosy")
    assignment_world.enroll(other)
    for call in (
        lambda: services.submission_file_add(by=other.user, submission=draft, upload=upload()),
        lambda: services.submission_file_remove(by=other.user, submission=draft, file_id=1),
        lambda: services.submission_submit(by=other.user, submission=draft, confirm=True),
        lambda: services.reopen_request(by=other.user, submission=draft, note=""),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_a_person_not_enrolled_cannot_save(assignment_world: AssignmentWorld) -> None:
    stranger = assignment_world.world.engineer.user
    forget(stranger)
    with pytest.raises(PermissionDenied):
        assignment_world.save("Let me in", user=stranger)
