"""Benchmark: many learners taking a quiz at once — answers autosaved per second, save and submit latency.

    createdb -h 127.0.0.1 -U postgres syllabus_quiz_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syllabus_quiz_bench .venv/bin/python manage.py migrate
    .venv/bin/python bench/quiz_submit.py --database postgres://postgres@127.0.0.1:5432/syllabus_quiz_bench

Builds (once, idempotent) an organisation `quizbench` with --learners people enrolled in a published course whose
quiz has --questions fixed slots, one question per page, from a bank of auto-graded questions of mixed types
(true/false, multiple choice, multiple response, short answer, numerical; no time limit, deferred feedback). Then
every learner takes the quiz once, as a browser does: start an attempt, autosave each answer on its own (one save
per answer, as attempt.js posts the page's form), submit. About three answers in four are right.

`--path http` (the default) drives the real endpoints through Django's test client, signed in as each learner
(force_login): POST `assessment:attempt-start`, POST `assessment:attempt-save` with the question's form fields and
`autosave=1` (answered in JSON), POST `assessment:attempt-submit` — middleware, session, permission checks and the
attempt service, without a network or a WSGI server in front. `--path service` calls the attempt service alone
(`attempt_start`, `attempt_save`, `attempt_submit`). The output says which.

Concurrency: --workers processes (default 2 × CPUs + 1, as gunicorn's sync workers), each with its own database
connection and its share of the learners. Every learner's attempt is open for the whole run: each worker starts
its learners' attempts, then saves answer 1 of each of them, answer 2 of each..., then submits them all — so the
server sees --learners attempts in progress with --workers requests in flight. A worker's clock starts when all
workers are ready (signed in). Attempts of earlier runs are deleted first, so each run starts from none.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORG = "quizbench"
COURSE = "Quiz bench"
QUIZ = "Bench quiz"
TYPES = ("truefalse", "single", "multiple", "shortanswer", "numerical")
ATTEMPT_URL = re.compile(r"/attempts/(?P<public_id>[0-9a-f-]{36})/")
ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Setup:
    """What a run needs: the course, its published version, the quiz as that version holds it, the learners."""

    course_id: int
    version_id: int
    activity: dict[str, Any]
    user_ids: tuple[int, ...]


@dataclass
class Figures:
    """One worker's (or the whole run's) measurements, in seconds."""

    starts: list[float] = field(default_factory=list)
    saves: list[float] = field(default_factory=list)
    submits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    saved: int = 0  # answers the service reported as saved
    began: float = 0.0  # time.time() when the worker's clock started
    ended: float = 0.0
    saves_began: float = 0.0  # the autosave phase (after every start, before the first submit)
    saves_ended: float = 0.0

    def merge(self, other: Figures) -> None:
        self.starts += other.starts
        self.saves += other.saves
        self.submits += other.submits
        self.errors += other.errors
        self.saved += other.saved
        self.began = min(self.began or other.began, other.began)
        self.ended = max(self.ended, other.ended)
        self.saves_began = min(self.saves_began or other.saves_began, other.saves_began)
        self.saves_ended = max(self.saves_ended, other.saves_ended)


# --- data ----------------------------------------------------------------------------------------------------------


def question_fields(index: int) -> Any:
    """Question `index` of the bench bank: the types in turn, small but real content."""
    from syllabus.assessment.services.questions import QuestionFields

    qtype = TYPES[index % len(TYPES)]
    n = index + 1
    data: dict[str, Any]
    if qtype == "truefalse":
        data = {"correct": n % 2 == 0, "feedback_true": "<p>True.</p>", "feedback_false": "<p>False.</p>"}
    elif qtype == "single":
        data = {
            "options": [
                {"text": f"Option {letter} of question {n}", "fraction": fraction, "feedback": ""}
                for letter, fraction in (("A", "1"), ("B", "0"), ("C", "0"), ("D", "0"))
            ],
            "shuffle": True,
            "numbering": "abc",
        }
    elif qtype == "multiple":
        data = {
            "options": [
                {"text": f"Choice {letter} of question {n}", "fraction": fraction, "feedback": ""}
                for letter, fraction in (("A", "0.5"), ("B", "0.5"), ("C", "-1"), ("D", "0"))
            ],
            "shuffle": True,
            "numbering": "abc",
        }
    elif qtype == "shortanswer":
        data = {
            "answers": [
                {"text": f"answer {n}", "fraction": "1", "feedback": ""},
                {"text": f"answer {n}*", "fraction": "0.5", "feedback": ""},
            ],
            "case_sensitive": False,
        }
    else:
        data = {
            "answers": [{"value": str(n * 7), "tolerance": "0.5", "fraction": "1", "feedback": ""}],
            "units": [{"unit": "mg", "multiplier": "1"}, {"unit": "g", "multiplier": "1000"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        }
    return QuestionFields(
        qtype=qtype, name=f"Bench question {n}", text=f"<p>Question {n} of the bench quiz.</p>", data=data
    )


def build(*, learners: int, questions: int) -> Setup:
    """The organisation, bank, course, quiz and learners (made once; more learners added when asked for)."""
    from django.db import transaction

    from syllabus.accounts.models import Membership, Organization, User
    from syllabus.assessment.models import Question
    from syllabus.assessment.services import questions as question_services
    from syllabus.catalog import services as catalog_services
    from syllabus.catalog import versions
    from syllabus.catalog.models import Activity, Course, Section
    from syllabus.enrollment import services as enrollment_services
    from syllabus.enrollment.models import Method

    with transaction.atomic():
        organization, _ = Organization.objects.get_or_create(slug=ORG, defaults={"name": "Quiz Bench Ltd"})
        course = Course.objects.filter(organization=organization, title=COURSE).first()
        if course is None:
            course = Course.objects.create(organization=organization, title=COURSE, summary="The quiz benchmark.")
            bank = question_services.bank_for_course(course=course)
            category = bank.categories.get()
            made: list[Question] = []
            for index in range(questions):
                # Validated by each type, saved without a permission check (no author in this organisation).
                clean = question_services.validate(organization=organization, values=question_fields(index))
                made.append(question_services.question_create_clean(bank=bank, category=category, clean=clean, by=None))
            section = Section.objects.create(course=course, title="Assessment", position=0)
            Activity.objects.create(
                course=course,
                section=section,
                kind="quiz",
                title=QUIZ,
                position=0,
                completion={"rule": "submitted"},
                config={
                    "slots": [{"type": "fixed", "question_id": q.pk, "mark": ""} for q in made],
                    "questions_per_page": 1,
                    "behaviour": "deferred",
                    "attempts_allowed": 0,
                    "grading_method": "highest",
                    "pass_mark": "60",
                },
            )
            catalog_services.course_publish_unchecked(course=course, by=None, notes="Benchmark")
        have = list(
            Membership.objects.filter(organization=organization, user__email__startswith="learner")
            .order_by("pk")
            .values_list("pk", "user_id")
        )
        if len(have) < learners:
            users = User.objects.bulk_create(
                [
                    User(email=f"learner{i}@quizbench.example", display_name=f"Bench Learner {i}")
                    for i in range(len(have), learners)
                ],
                batch_size=2000,
            )
            members = Membership.objects.bulk_create(
                [Membership(organization=organization, user=user) for user in users], batch_size=2000
            )
            have += [(m.pk, m.user_id) for m in members]
        have = have[:learners]
        enrollment_services.enrollments_bulk_create(
            course=course,
            membership_ids=[pk for pk, _user in have],
            by=None,
            method=Method.ADMIN,
            check_permission=False,
        )
    course.refresh_from_db()
    version = course.published_version
    assert version is not None
    activity = next(a for a in versions.activities(version.snapshot) if a["kind"] == "quiz")
    return Setup(course.pk, version.pk, activity, tuple(user for _pk, user in have))


def clear_attempts(setup: Setup) -> int:
    """Delete the attempts of earlier runs (their answers go with them)."""
    from syllabus.assessment.models import Attempt

    deleted, _rows = Attempt.objects.filter(course_id=setup.course_id).delete()
    return deleted


# --- one learner -------------------------------------------------------------------------------------------------


def form_fields(qtype: str, variant: Mapping[str, Any], response: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The form fields the attempt page posts for this response (choices by their 1-based position)."""
    order = [str(i) for i in variant.get("order", [])]
    if qtype == "truefalse":
        return {f"{prefix}answer": "true" if response["answer"] else "false"}
    if qtype == "single":
        return {f"{prefix}choice": str(order.index(response["choice"]) + 1)}
    if qtype == "multiple":
        return {f"{prefix}choices": [str(order.index(c) + 1) for c in response["choices"]]}
    if qtype == "shortanswer":
        return {f"{prefix}text": response["text"]}
    return {f"{prefix}value": response["value"], f"{prefix}unit": response.get("unit", "")}


@dataclass
class Learner:
    user: Any
    client: Any = None  # a signed-in test client (http path)
    attempt: Any = None
    answers: list[tuple[int, int, str, dict[str, Any], Any]] = field(default_factory=list)  # slot, page, qtype...


def _prepare(learner: Learner, *, right_every: int) -> None:
    """What the learner will answer (read once, outside the clock: the browser has it in the page)."""
    from syllabus.assessment import demo
    from syllabus.assessment.services.questions import version_as_question

    page_of = {slot: index for index, page in enumerate(learner.attempt.layout or []) for slot in page}
    learner.answers = []
    for number, answer in enumerate(learner.attempt.answers.select_related("question_version").order_by("slot")):
        quality = "W" if (number + learner.user.pk) % right_every == 0 else "R"
        question = version_as_question(answer.question_version)
        raw = demo.response_for(answer.question_version.qtype, question, answer.variant, quality, essay=None)
        learner.answers.append((answer.slot, page_of.get(answer.slot, 0), question.qtype, raw or {}, answer.variant))


def take_quiz(setup: Setup, user_ids: Sequence[int], *, path: str, ready: Any = None, right_every: int = 4) -> Figures:
    """One worker's share of the run: its learners' attempts started, every answer autosaved (answer 1 of each
    learner, then answer 2...), then submitted. `ready` (a multiprocessing barrier) holds the clock until every
    worker has signed its learners in."""
    from django.test import Client
    from django.urls import reverse

    from syllabus.accounts.models import User
    from syllabus.assessment.models import Attempt
    from syllabus.assessment.services import attempts as services
    from syllabus.catalog.models import Course, CourseVersion

    figures = Figures()
    course = Course.objects.select_related("organization").get(pk=setup.course_id)
    version = CourseVersion.objects.get(pk=setup.version_id)
    learners = [Learner(user) for user in User.objects.filter(pk__in=user_ids).order_by("pk")]
    if path == "http":
        for learner in learners:
            learner.client = Client()
            learner.client.force_login(learner.user)
    if ready is not None:
        ready.wait()
    figures.began = time.time()

    def timed(into: list[float], call: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call()
        except Exception as exc:  # a benchmark counts failures and goes on
            figures.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return None
        finally:
            into.append(time.perf_counter() - t0)

    start_url = reverse("assessment:attempt-start", args=[course.pk, setup.activity["uid"]])
    for learner in learners:
        if path == "http":
            response = timed(figures.starts, lambda learner=learner: learner.client.post(start_url))
            found = (
                ATTEMPT_URL.search(response["Location"])
                if response is not None and response.status_code == 302
                else None
            )
            if found is None:
                figures.errors.append(f"start: {getattr(response, 'status_code', '?')}")
                continue
            learner.attempt = Attempt.objects.get(public_id=found["public_id"])
        else:
            learner.attempt = timed(
                figures.starts,
                lambda learner=learner: services.attempt_start(
                    user=learner.user, course=course, version=version, activity=setup.activity
                ),
            )
            if learner.attempt is None:
                continue
        _prepare(learner, right_every=right_every)
    active = [learner for learner in learners if learner.attempt is not None]
    rounds = max((len(learner.answers) for learner in active), default=0)
    figures.saves_began = time.time()
    for index in range(rounds):
        for learner in active:
            if index >= len(learner.answers):
                continue
            slot, page, qtype, raw, variant = learner.answers[index]
            if path == "http":
                url = reverse("assessment:attempt-save", args=[learner.attempt.public_id])
                data = {"autosave": "1", "page": str(page + 1), **form_fields(qtype, variant, raw, f"q{slot}-")}
                response = timed(figures.saves, lambda url=url, data=data, c=learner.client: c.post(url, data))
                if response is None:
                    continue
                if response.status_code != 200:
                    figures.errors.append(f"save: {response.status_code} {response.content[:200]!r}")
                    continue
                body = response.json()
                figures.saved += len(body.get("saved", []))
                if body.get("errors"):
                    figures.errors.append(f"save refused: {body['errors']}")
            else:
                result = timed(
                    figures.saves,
                    lambda learner=learner, slot=slot, raw=raw: services.attempt_save(
                        attempt=learner.attempt, responses={slot: raw}, by=learner.user
                    ),
                )
                if result is not None:
                    figures.saved += len(result.saved)
                    if result.errors:
                        figures.errors.append(f"save refused: {result.errors}")
    figures.saves_ended = time.time()
    for learner in active:
        if path == "http":
            url = reverse("assessment:attempt-submit", args=[learner.attempt.public_id])
            response = timed(figures.submits, lambda url=url, c=learner.client: c.post(url))
            if response is not None and response.status_code != 302:
                figures.errors.append(f"submit: {response.status_code}")
        else:
            timed(
                figures.submits,
                lambda learner=learner: services.attempt_submit(attempt=learner.attempt, by=learner.user),
            )
    figures.ended = time.time()
    return figures


# --- the run -----------------------------------------------------------------------------------------------------


def _worker(setup: Setup, user_ids: Sequence[int], path: str, ready: Any, results: Any) -> None:
    try:
        results.put(take_quiz(setup, user_ids, path=path, ready=ready))
    except BaseException:
        results.put(Figures(errors=[traceback.format_exc()[-2000:]]))
        if ready is not None:
            ready.abort()


def shares(user_ids: Sequence[int], workers: int) -> list[list[int]]:
    return [list(user_ids[index::workers]) for index in range(workers) if user_ids[index::workers]]


def run(setup: Setup, *, workers: int, path: str) -> Figures:
    """Every learner takes the quiz once: in this process (workers=0: tests) or in `workers` processes."""
    if workers <= 0:
        return take_quiz(setup, setup.user_ids, path=path)
    from django.db import connections

    parts = shares(setup.user_ids, workers)
    # Children are forked: each opens its own connection (an inherited one would be shared by every process).
    connections.close_all()
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(len(parts))
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(setup, part, path, ready, results)) for part in parts]
    for process in processes:
        process.start()
    total = Figures()
    for _process in processes:
        total.merge(results.get())
    for process in processes:
        process.join()
    return total


def percentile(values: Iterable[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def describe(figures: Figures, *, path: str, learners: int, questions: int, workers: int) -> list[str]:
    wall = max(figures.ended - figures.began, 1e-9)
    saving = max(figures.saves_ended - figures.saves_began, 1e-9)

    def latency(label: str, values: list[float]) -> str:
        if not values:
            return f"{label}: none"
        return (
            f"{label}: p50 {percentile(values, 0.5) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} ms, "
            f"p99 {percentile(values, 0.99) * 1000:.1f} ms (mean {statistics.fmean(values) * 1000:.1f} ms, "
            f"n={len(values):,})"
        )

    how = (
        "HTTP endpoints through Django's test client (middleware, session, views, service)"
        if path == "http"
        else "the attempt service called directly (no HTTP layer)"
    )
    lines = [
        f"path: {how}",
        f"{learners:,} learners x {questions} questions, {workers or 1} worker(s)",
        f"answers saved: {figures.saved:,} = {figures.saved / saving:.1f} answers/s over the autosave phase "
        f"({saving:.1f} s; {figures.saved / wall:.1f}/s over the whole run)",
        latency("start", figures.starts),
        latency("save", figures.saves),
        latency("submit", figures.submits),
        f"total wall time: {wall:.1f} s",
        f"errors: {len(figures.errors)}",
    ]
    lines += [f"  {error}" for error in figures.errors[:ERROR_SAMPLES]]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20, help="questions of the quiz (when it is first built)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--path", choices=("http", "service"), default="http")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    # Time what production runs: no debug pages, no query log; tasks (progress after a submission) in the process.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # The learners' "you were enrolled" emails would fill the output.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    print(f"database: {connection.vendor}")
    t0 = time.perf_counter()
    setup = build(learners=args.learners, questions=args.questions)
    cleared = clear_attempts(setup)
    questions = len(setup.activity["config"]["slots"])
    print(f"set-up: {time.perf_counter() - t0:.1f} s ({cleared:,} rows of earlier runs deleted)")
    figures = run(setup, workers=args.workers, path=args.path)
    for line in describe(
        figures, path=args.path, learners=len(setup.user_ids), questions=questions, workers=args.workers
    ):
        print(line)
    from syllabus.assessment.models import Attempt

    finished = Attempt.objects.filter(course_id=setup.course_id, state="finished")
    grades = [g for g in finished.values_list("grade", flat=True) if g is not None]
    mean = sum(grades, Decimal(0)) / len(grades) if grades else Decimal(0)
    print(f"attempts finished: {finished.count():,} (mean grade {mean:.1f} %)")


if __name__ == "__main__":
    main()
