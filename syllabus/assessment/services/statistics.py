"""Item statistics of a quiz: compute them from the counted attempts, store them, and say whether the stored ones
are still current. The formulas are Moodle's, in `assessment/item_statistics.py` (pure, tested by hand).

- Counted attempts: finished and graded (state "finished", a grade), never the team's previews; `which` chooses
  among them per person: "first" (their first counted attempt), "last", "highest" (the best grade, the earlier on
  a tie) or "all".
- Slots: an answer fills the quiz slot of its position (`QuestionAnswer.slot`). When the attempt shuffled its
  questions, a fixed question is put back at its slot in the quiz's config, and the questions drawn at random fill
  the config's random positions in the order the attempt showed them.
- Fingerprint: `"<count>:<sum of revisions>:<last attempt id>:<last finish>"` over every counted attempt of the
  quiz. A new attempt, a manual grade or a regrade (both bump the attempt's `revision` through
  `attempts.attempt_recompute`) changes it, so `statistics_current` returns None and the page computes again.
- Speed: the answers are read by the kept attempts' ids, 10,000 attempts a query, marks made floats in Python;
  the rows are written with one bulk_create. 10,000 attempts × 20 questions take about 2.3–2.6 s on PostgreSQL
  on a loaded 2-CPU machine (bench/gradebook.py).
Nothing here changes what a person did or sees as a grade: the computation is not audited (`AUDIT_ACTIONS` empty).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import Coalesce

from syllabus.assessment import item_statistics
from syllabus.assessment.models import (
    Attempt,
    AttemptState,
    QuestionAnswer,
    QuestionVersion,
)
from syllabus.assessment.models.statistics import AttemptChoice, QuestionStatistic, QuizStatistics
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.quiz_settings import QuizSettings
from syllabus.assessment.services.questions import version_as_question
from syllabus.catalog.models import Course
from syllabus.core import clock

AUDIT_ACTIONS: tuple[tuple[str, str], ...] = ()

UNKNOWN_WHICH = "Choose which attempts to count: first, all, highest or last."
# Above this many counted attempts the page asks a worker to compute (tasks.compute_statistics).
SYNC_LIMIT = 2000
CHUNK = 5000


def which_of(raw: Any) -> str:
    """`raw` as a choice of attempts, or a ValidationError naming the field."""
    value = str(raw or AttemptChoice.FIRST)
    if value not in AttemptChoice.values:
        raise ValidationError({"which": UNKNOWN_WHICH})
    return value


def counted_attempts(*, course: Course, activity_uid: uuid.UUID) -> QuerySet[Attempt]:
    """Every attempt statistics may count: finished, graded, not a preview."""
    return Attempt.objects.filter(
        organization_id=course.organization_id,
        course=course,
        activity_uid=activity_uid,
        preview=False,
        state=AttemptState.FINISHED,
        grade__isnull=False,
    )


def fingerprint(*, course: Course, activity_uid: uuid.UUID) -> str:
    """What the stored statistics were computed from (one aggregate query); see the module's docstring."""
    found = counted_attempts(course=course, activity_uid=activity_uid).aggregate(
        count=Count("pk"), revisions=Coalesce(Sum("revision"), 0), last=Max("pk"), finished=Max("finished_at")
    )
    finished = found["finished"].isoformat() if found["finished"] else "-"
    return f"{found['count']}:{found['revisions']}:{found['last'] or 0}:{finished}"


def _chosen(*, course: Course, activity_uid: uuid.UUID, which: str) -> dict[int, bool]:
    """The counted attempts `which` keeps: {attempt id: whether it shuffled its questions}."""
    rows = counted_attempts(course=course, activity_uid=activity_uid).values_list(
        "pk", "user_id", "number", "grade", "settings__shuffle_questions"
    )
    best: dict[int, tuple[Any, ...]] = {}
    kept: dict[int, bool] = {}
    for pk, user_id, number, grade, shuffled in rows.iterator(chunk_size=CHUNK):
        row = (pk, number, grade, bool(shuffled))
        if which == AttemptChoice.ALL:
            kept[pk] = bool(shuffled)
            continue
        current = best.get(user_id)
        if (
            current is None
            or (which == AttemptChoice.FIRST and number < current[1])
            or (which == AttemptChoice.LAST and number > current[1])
            or (which == AttemptChoice.HIGHEST and (grade, -number) > (current[2], -current[1]))
        ):
            best[user_id] = row
    if which != AttemptChoice.ALL:
        kept = {row[0]: row[3] for row in best.values()}
    return kept


def _layout(config: Mapping[str, Any]) -> tuple[dict[int, int], list[int]]:
    """The quiz's slots as positions: {fixed question id: its position}, and the positions drawn at random."""
    fixed: dict[int, int] = {}
    drawn: list[int] = []
    position = 0
    for slot in QuizSettings.from_config(config).slots:
        if slot.type == "fixed":
            position += 1
            if slot.question_id:
                fixed.setdefault(slot.question_id, position)
        else:
            for _ in range(max(1, slot.count)):
                position += 1
                drawn.append(position)
    return fixed, drawn


def _answers(
    *, course: Course, activity_uid: uuid.UUID, kept: Mapping[int, bool], config: Mapping[str, Any]
) -> Iterator[item_statistics.Answer]:
    """The kept attempts' answers, each at its quiz slot, in attempt and position order. Read by the kept attempts'
    ids (this quiz's counted attempts, from `_chosen`), 10,000 attempts a query: a range scan of answer_slot_unique
    each, no semi-join with the attempts; marks read as stored and made floats here (a missing mark counts 0)."""
    fixed, drawn = _layout(config)
    attempt_ids = sorted(kept)
    per_query = 10_000
    for start in range(0, len(attempt_ids), per_query):
        rows = (
            QuestionAnswer.objects.filter(attempt_id__in=attempt_ids[start : start + per_query])
            .order_by("attempt_id", "slot")
            .values_list(
                "attempt_id", "slot", "question_version__question_id", "question_version_id", "mark", "max_mark"
            )
        )
        current = None
        random_seen = 0
        for attempt_id, position, question_id, version_id, mark, max_mark in rows:
            shuffled = kept[attempt_id]
            if attempt_id != current:
                current, random_seen = attempt_id, 0
            slot = position
            if shuffled:
                if question_id in fixed:
                    slot = fixed[question_id]
                elif random_seen < len(drawn):
                    slot = drawn[random_seen]
                    random_seen += 1
            yield item_statistics.Answer(
                attempt_id, slot, question_id, version_id, float(mark) if mark is not None else 0.0, float(max_mark)
            )


def _guesses(version_ids: set[int]) -> dict[int, float | None]:
    """Each version's random guess score from its type (0..1, or None where it means nothing)."""
    guesses: dict[int, float | None] = {}
    for version in QuestionVersion.objects.filter(pk__in=version_ids):
        guess = None
        if qtypes.is_registered(version.qtype):
            guess = qtypes.get(version.qtype).random_guess_score(version_as_question(version))
        guesses[version.pk] = guess
    return guesses


def _quiz_config(course: Course, activity_uid: uuid.UUID) -> dict[str, Any]:
    from syllabus.assessment import selectors_grading

    quiz = selectors_grading.quiz_get(course=course, uid=activity_uid)
    return dict(quiz.config) if quiz is not None else {}


def statistics_compute(*, course: Course, activity_uid: uuid.UUID, which: str = "first") -> QuizStatistics:
    """Compute the quiz's statistics from the attempts `which` chooses and store them, replacing the previous
    computation of that quiz and choice. The caller checked `policy.can_grade` (or is the worker it asked)."""
    which = which_of(which)
    config = _quiz_config(course, activity_uid)
    with transaction.atomic():
        stamp = fingerprint(course=course, activity_uid=activity_uid)
        kept = _chosen(course=course, activity_uid=activity_uid, which=which)
        answers = list(_answers(course=course, activity_uid=activity_uid, kept=kept, config=config))
        guesses = _guesses({a.version for a in answers})
        quiz, items = item_statistics.compute(answers, guesses=guesses)
        stored, _created = QuizStatistics.objects.update_or_create(
            organization_id=course.organization_id,
            course=course,
            activity_uid=activity_uid,
            which=which,
            defaults={
                "fingerprint": stamp,
                "computed_at": clock.now(),
                "attempts": quiz.attempts,
                "summary": quiz.as_dict(),
            },
        )
        QuestionStatistic.objects.filter(statistics=stored).delete()
        QuestionStatistic.objects.bulk_create(
            [
                QuestionStatistic(
                    organization_id=course.organization_id,
                    statistics=stored,
                    slot=item.slot,
                    question_id=item.question,
                    version_id=item.version,
                    is_slot_total=item.is_slot_total,
                    count=item.count,
                    facility=item.facility,
                    sd=item.sd,
                    random_guess=item.random_guess,
                    intended_weight=item.intended_weight,
                    effective_weight=item.effective_weight,
                    discrimination=item.discrimination,
                    discriminative_efficiency=item.discriminative_efficiency,
                )
                for item in items
            ],
            batch_size=500,
        )
    return stored


def statistics_stored(*, course: Course, activity_uid: uuid.UUID, which: str) -> QuizStatistics | None:
    """The last computation for this quiz and choice, current or not (the page shows it while a worker
    recomputes)."""
    return QuizStatistics.objects.filter(
        organization_id=course.organization_id, course=course, activity_uid=activity_uid, which=which_of(which)
    ).first()


def is_current(stored: QuizStatistics, *, course: Course) -> bool:
    return stored.fingerprint == fingerprint(course=course, activity_uid=stored.activity_uid)


def statistics_current(*, course: Course, activity_uid: uuid.UUID, which: str) -> QuizStatistics | None:
    """The stored computation while its fingerprint matches the attempts; None when there is none or it is stale."""
    stored = statistics_stored(course=course, activity_uid=activity_uid, which=which)
    if stored is None or not is_current(stored, course=course):
        return None
    return stored


def needs_worker(*, course: Course, activity_uid: uuid.UUID) -> bool:
    """Too many attempts to compute while the page waits (SYNC_LIMIT)."""
    return counted_attempts(course=course, activity_uid=activity_uid).count() > SYNC_LIMIT


def statistics_request(*, course: Course, activity_uid: uuid.UUID, which: str) -> bool:
    """Compute now (small quizzes: True, done) or ask a worker (False: being calculated). A quiz already queued
    for this choice is not queued twice while the first request runs (a cache key for ten minutes)."""
    which = which_of(which)
    if not needs_worker(course=course, activity_uid=activity_uid):
        statistics_compute(course=course, activity_uid=activity_uid, which=which)
        return True
    from django.core.cache import cache

    from syllabus.assessment import tasks

    key = f"assessment:statistics:{course.pk}:{activity_uid}:{which}"
    if cache.add(key, 1, 600):
        transaction.on_commit(
            lambda: tasks.compute_statistics.delay(course_id=course.pk, activity_uid=str(activity_uid), which=which)
        )
    return False


def statistics_done(*, course: Course, activity_uid: uuid.UUID, which: str) -> None:
    """The worker finished: the next request may queue again."""
    from django.core.cache import cache

    cache.delete(f"assessment:statistics:{course.pk}:{activity_uid}:{which}")
