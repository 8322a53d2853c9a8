"""What assessment holds about one person, for the privacy registry (core.privacy): export and erasure (GDPR).

Exported: every quiz attempt of the person (the course and quiz, its number, dates, state, marks, grade and whether
it passed; each question's name, the response summarised in words by its question type, the mark and the grader's
comment), and the per-person rules (overrides) they were given, with the reason.

Erasure keeps the attempts and their grades: a quiz result backs the completion of the activity and of the course,
which are compliance evidence (progress keeps those the same way), and regrading must still find the answers.
What goes is what was written in free text about or by the person:
- the text of their answers to questions a person grades (essays): it is their own words, often about themselves
  (their workplace, their experience), and a grade no longer needs it once given. Answers to the other types are
  choices or a short expected answer ("Paris"): they are the assessment record and stay;
- the graders' comments on their answers, which talk about the person and their work;
- the reason of an override ("extra time: dyslexia", "on sick leave") — the audit trail keeps its copy in the
  person's erasable part.

Assignments: exported are every submission (course, assignment, number, state, dates, lateness, the text, the
files' names, sizes and hashes, the grade with its feedback once released, and a request for another try with its
note). Erasure clears the submissions' text and notes and deletes their files (the person's own and the graders'
feedback files about them); the submissions' rows and their grades stay, for the same reasons as quiz grades.

One audit record per organisation ("assessment.person_erased") says it happened, with counts and no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch

from syllabus.accounts.models import Organization, User
from syllabus.assessment.models import Attempt, QuestionAnswer, QuizOverride
from syllabus.assessment.models.assignments import Submission, SubmissionFile
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog import richtext, versions
from syllabus.catalog.models import Activity, CourseVersion

AUDIT_ACTIONS = (("assessment.person_erased", "Quiz answers' free text erased with a person"),)

BATCH = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> str | None:
    return None if value is None else str(value)


def _quiz_titles(attempts: list[Any]) -> dict[tuple[int, str], str]:
    """(course id, activity uid) -> title: from the version each attempt was taken in, else the draft (previews)
    — two queries."""
    titles: dict[tuple[int, str], str] = {}
    version_ids = {a.version_id for a in attempts if a.version_id}
    for _pk, course_id, snapshot in CourseVersion.objects.filter(pk__in=version_ids).values_list(
        "pk", "course_id", "snapshot"
    ):
        for activity in versions.activities(snapshot or {}):
            titles.setdefault((course_id, str(activity["uid"])), str(activity.get("title", "")))
    missing = {(a.course_id, str(a.activity_uid)) for a in attempts} - set(titles)
    if missing:
        drafts = Activity.objects.filter(
            course_id__in={course for course, _ in missing}, uid__in={uid for _, uid in missing}
        ).values_list("course_id", "uid", "title")
        for course_id, uid, title in drafts:
            titles.setdefault((course_id, str(uid)), title)
    return titles


def _summary(answer: QuestionAnswer) -> str:
    version = answer.question_version
    if not qtypes.is_registered(version.qtype):
        return ""
    response = answer.response if isinstance(answer.response, dict) else {}
    return qtypes.get(version.qtype).summarise_response(version_as_question(version), answer.variant or {}, response)


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    attempts_qs = (
        Attempt.objects.filter(user=user)
        .select_related("organization", "course")
        .prefetch_related(
            Prefetch("answers", queryset=QuestionAnswer.objects.select_related("question_version").order_by("slot"))
        )
        .order_by("organization__name", "course_id", "activity_uid", "preview", "number")
    )
    overrides = QuizOverride.objects.filter(user=user).select_related("organization", "course")
    if organization is not None:
        attempts_qs = attempts_qs.filter(organization=organization)
        overrides = overrides.filter(organization=organization)
    attempts = list(attempts_qs)
    titles = _quiz_titles(attempts)
    return {
        "assignment_submissions": _submissions(user, organization),
        "quiz_attempts": [
            {
                "organization": a.organization.name,
                "course": a.course.title,
                "quiz": titles.get((a.course_id, str(a.activity_uid)), ""),
                "quiz_uid": str(a.activity_uid),
                "attempt": a.number,
                "preview": a.preview,
                "state": a.state,
                "started_at": _iso(a.started_at),
                "deadline": _iso(a.deadline),
                "finished_at": _iso(a.finished_at),
                "submitted_late": a.submitted_late,
                "marks": _plain(a.marks),
                "max_marks": _plain(a.max_marks),
                "grade": _plain(a.grade),
                "passed": a.passed,
                "answers": [
                    {
                        "question": answer.question_version.name,
                        "slot": answer.slot,
                        "response": _summary(answer),
                        "state": answer.state,
                        "mark": _plain(answer.mark),
                        "max_mark": _plain(answer.max_mark),
                        "grader_comment": richtext.html_to_text(answer.comment) or None,
                        "graded_at": _iso(answer.graded_at),
                    }
                    for answer in a.answers.all()
                ],
            }
            for a in attempts
        ],
        "quiz_overrides": [
            {
                "organization": o.organization.name,
                "course": o.course.title,
                "quiz_uid": str(o.activity_uid),
                "time_limit_minutes": o.time_limit_minutes,
                "extra_attempts": o.extra_attempts,
                "opens_at": _iso(o.opens_at),
                "closes_at": _iso(o.closes_at),
                "skip_password": o.skip_password,
                "reason": o.reason,
            }
            for o in overrides.order_by("organization__name", "course_id", "pk")
        ],
    }


def _submissions(user: User, organization: Organization | None) -> list[dict[str, Any]]:
    query = (
        Submission.objects.filter(user=user)
        .select_related("organization", "course", "grade")
        .prefetch_related("files")
        .order_by("organization__name", "course_id", "activity_uid", "number")
    )
    if organization is not None:
        query = query.filter(organization=organization)
    submissions = list(query)
    titles = _quiz_titles(submissions)
    out = []
    for s in submissions:
        grade = getattr(s, "grade", None)
        released = grade is not None and grade.released
        out.append(
            {
                "organization": s.organization.name,
                "course": s.course.title,
                "assignment": titles.get((s.course_id, str(s.activity_uid)), ""),
                "assignment_uid": str(s.activity_uid),
                "submission": s.number,
                "state": s.state,
                "text": s.text,
                "word_count": s.word_count,
                "submitted_at": _iso(s.submitted_at),
                "late_seconds": s.late_seconds,
                "reopen_requested_at": _iso(s.reopen_requested_at),
                "reopen_note": s.reopen_note,
                "files": [{"name": f.name, "role": f.role, "size": f.size, "sha256": f.sha256} for f in s.files.all()],
                "grade": {
                    "points": _plain(grade.points),
                    "max_points": _plain(grade.max_points),
                    "percent": _plain(grade.percent),
                    "penalty_points": _plain(grade.penalty_points),
                    "passed": grade.passed,
                    "feedback": richtext.html_to_text(grade.feedback) or None,
                    "released_at": _iso(grade.released_at),
                }
                if released and grade is not None
                else None,
            }
        )
    return out


def _erase_submissions(user: User, counts: dict[int, dict[str, int]]) -> None:
    """Clear the text and notes of the person's submissions and delete their files (grades stay)."""
    from django.core.files.storage import default_storage
    from django.db import transaction

    written = Submission.objects.filter(user=user).exclude(text="", reopen_note="")
    for organization_id in written.values_list("organization_id", flat=True):
        part = counts[organization_id]
        part["submissions"] = part.get("submissions", 0) + 1
    written.update(text="", reopen_note="")
    files = SubmissionFile.objects.filter(submission__user=user)
    names = set(files.values_list("file", flat=True))
    for organization_id in files.values_list("organization_id", flat=True):
        part = counts[organization_id]
        part["files"] = part.get("files", 0) + 1
    files.delete()

    def forget_stored() -> None:
        still_used = set(SubmissionFile.objects.filter(file__in=names).values_list("file", flat=True))
        for name in names - still_used:
            default_storage.delete(name)

    transaction.on_commit(forget_stored)


def _without_responses(history: Any) -> list[Any]:
    """The answer's history with the responses taken out of each entry (dates, kinds and fractions stay)."""
    if not isinstance(history, list):
        return []
    return [
        {k: v for k, v in entry.items() if k != "response"} if isinstance(entry, dict) else entry for entry in history
    ]


def erase_person(user: User, by: Any) -> None:
    """Clear the person's essay texts, the graders' comments on their answers, the reasons of their overrides and
    their assignment submissions' text and files; attempts, submissions, marks and grades stay (see the module
    docstring)."""
    from syllabus.audit.services import audit_record

    manual_types = [qtype.key for qtype in qtypes.all_types() if qtype.manual]
    answers = QuestionAnswer.objects.filter(attempt__user=user)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"responses": 0, "comments": 0, "overrides": 0})
    free_text = answers.filter(question_version__qtype__in=manual_types).select_related("attempt").order_by("pk")
    batch: list[QuestionAnswer] = []
    for answer in free_text.iterator(chunk_size=BATCH):
        if answer.response or any(isinstance(e, dict) and "response" in e for e in answer.history or []):
            answer.response = {}
            answer.history = _without_responses(answer.history)
            batch.append(answer)
            counts[answer.attempt.organization_id]["responses"] += 1
        if len(batch) >= BATCH:
            QuestionAnswer.objects.bulk_update(batch, ["response", "history"])
            batch = []
    if batch:
        QuestionAnswer.objects.bulk_update(batch, ["response", "history"])
    commented = answers.exclude(comment="")
    for organization_id in commented.values_list("attempt__organization_id", flat=True):
        counts[organization_id]["comments"] += 1
    commented.update(comment="")
    overrides = QuizOverride.objects.filter(user=user).exclude(reason="")
    for organization_id in overrides.values_list("organization_id", flat=True):
        counts[organization_id]["overrides"] += 1
    overrides.update(reason="")
    _erase_submissions(user, counts)
    if not counts:
        return
    organizations = Organization.objects.in_bulk(list(counts))
    for organization_id, erased in sorted(counts.items()):
        audit_record(
            organization=organizations.get(organization_id),
            action="assessment.person_erased",
            actor=by,
            target=user,
            after=erased,
        )
