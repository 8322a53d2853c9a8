"""The item statistics page of a quiz (the course team's): which attempts count, the quiz's figures, one row per
question with every figure, flags for weak questions in words, two charts drawn from the same figures, the CSV
export and "Recalculate".

Who: the course team (`policy.can_grade`). A course of another organisation, or a quiz the course never had: not
found (404); anyone else, a learner of the course included: refused (403).
The figures are computed when the page finds none, or finds them stale (services/statistics.py: synchronously up
to `SYNC_LIMIT` attempts, else by a worker while the page shows the last figures and says they are being
calculated).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization
from syllabus.assessment import policy
from syllabus.assessment import selectors_grading as selectors
from syllabus.assessment.models import AttemptChoice, QuestionStatistic, QuizStatistics
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import statistics as services
from syllabus.catalog.models import Course

# Cells a spreadsheet would run as a formula start with one of these (as views_grading.FORMULA_STARTS).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Below this discrimination index a question hardly tells strong learners from weak ones.
LOW_DISCRIMINATION = 20.0
VERY_EASY = 90.0
VERY_HARD = 10.0

RECALCULATED = "The statistics are recalculated."
QUEUED = "The statistics are being calculated. Reload this page in a minute."

# (key, heading, one-line explanation): the columns of the question table, and of the CSV.
COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    ("facility", gettext_lazy("Facility index"),
     gettext_lazy("The mean score on the question, as a percentage of its mark: high is easy, low is hard.")),
    ("sd", gettext_lazy("Standard deviation"),
     gettext_lazy("How much the scores on the question spread, as a percentage of its mark.")),
    ("random_guess", gettext_lazy("Random guess score"),
     gettext_lazy("What answering at random would score on average (none for free answers).")),
    ("intended_weight", gettext_lazy("Intended weight"),
     gettext_lazy("The question's share of the quiz's marks.")),
    ("effective_weight", gettext_lazy("Effective weight"),
     gettext_lazy("The question's share of the spread of the quiz's scores: how much it really decides them.")),
    ("discrimination", gettext_lazy("Discrimination index"),
     gettext_lazy("The correlation of the question's score with the score on the rest of the quiz, −100 to 100: "
                  "below 20 the question hardly tells strong learners from weak ones.")),
    ("discriminative_efficiency", gettext_lazy("Discriminative efficiency"),
     gettext_lazy("The discrimination index as a percentage of the best these scores could reach.")),
)  # fmt: skip

SUMMARY: tuple[tuple[str, Any, Any, str], ...] = (
    ("mean", gettext_lazy("Mean score"), gettext_lazy("The average score of the attempts counted."), "%"),
    ("median", gettext_lazy("Median score"), gettext_lazy("Half the attempts scored below it, half above."), "%"),
    ("sd", gettext_lazy("Standard deviation"), gettext_lazy("How much the scores spread around the mean."), "%"),
    ("skewness", gettext_lazy("Skewness"),
     gettext_lazy("Below 0: most scores are high with a tail of low ones; above 0 the other way round."), ""),
    ("kurtosis", gettext_lazy("Kurtosis"),
     gettext_lazy("Above 0: scores bunch in the middle with long tails; below 0 they spread flat."), ""),
    ("alpha", gettext_lazy("Coefficient of internal consistency"),
     gettext_lazy("Cronbach's alpha: how consistently the questions measure the same thing (above 75 is good)."),
     "%"),
    ("error_ratio", gettext_lazy("Error ratio"),
     gettext_lazy("The share of the spread of scores that is noise rather than a difference in learners."), "%"),
    ("standard_error", gettext_lazy("Standard error"),
     gettext_lazy("How far a learner's score may be from their true score because of that noise."), "%"),
)  # fmt: skip


class WhichForm(forms.Form):
    which = forms.ChoiceField(
        label=gettext_lazy("Attempts to count"), choices=AttemptChoice.choices, required=False,
        help_text=gettext_lazy("Finished, graded attempts only; the course team's previews never count."),
    )  # fmt: skip

    def value(self) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["which"] or AttemptChoice.FIRST
        return str(AttemptChoice.FIRST)


def _course(organization: Organization, principal: Principal, course_id: int) -> Course:
    course = selectors.course_get(organization=organization, pk=course_id)
    if course is None:
        raise Http404
    if not policy.can_grade(principal, course):
        raise PermissionDenied(NOT_ALLOWED)
    return course


def _quiz(course: Course, uid: uuid.UUID) -> selectors.QuizRef:
    quiz = selectors.quiz_get(course=course, uid=uid)
    if quiz is None:
        raise Http404
    return quiz


def figure(value: float | None, unit: str = "%") -> str:
    """A figure as shown: two places, "—" when undefined."""
    if value is None:
        return "—"
    return f"{value:.2f}{' %' if unit == '%' else ''}"


def flags(row: QuestionStatistic) -> list[str]:
    """Weak-item warnings in words (never colour alone)."""
    found = []
    if row.facility is not None and row.facility >= VERY_EASY:
        found.append(_("Very easy"))
    if row.facility is not None and row.facility <= VERY_HARD:
        found.append(_("Very hard"))
    if row.discrimination is not None and row.discrimination < LOW_DISCRIMINATION:
        found.append(_("Low discrimination"))
    return found


def question_rows(stored: QuizStatistics) -> list[dict[str, Any]]:
    """The stored rows in slot order, a random slot's total first and then each question drawn there."""
    rows = list(
        QuestionStatistic.objects.filter(statistics=stored)
        .select_related("version")
        .order_by("slot", "-is_slot_total", "question_id")
    )
    random_slots = {r.slot for r in rows if r.is_slot_total}
    labels = {t.key: str(t.label) for t in qtypes.all_types()}
    shown = []
    for row in rows:
        drawn = row.slot in random_slots and not row.is_slot_total
        shown.append(
            {
                "row": row,
                "slot": row.slot,
                "name": _("Drawn at random") if row.is_slot_total else row.version.name,
                "qtype": "" if row.is_slot_total else labels.get(row.version.qtype, row.version.qtype),
                "drawn": drawn,
                "random_slot": row.is_slot_total,
                "figures": [{"heading": heading, "value": figure(getattr(row, key))} for key, heading, _e in COLUMNS],
                "flags": flags(row),
            }
        )
    return shown


def _chart_data(rows: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
    slots = [r for r in rows if not r["drawn"]]
    bands = summary.get("distribution") or []
    width = 100 // max(1, len(bands))
    return {
        "labels": [_("Q%(slot)s") % {"slot": r["slot"]} for r in slots],
        "facility": [r["row"].facility for r in slots],
        "discrimination": [r["row"].discrimination for r in slots],
        "facility_label": str(_("Facility index")),
        "discrimination_label": str(_("Discrimination index")),
        "histogram": {
            "labels": [f"{n * width}–{(n + 1) * width} %" for n in range(len(bands))],
            "values": bands,
            "label": str(_("Attempts")),
        },
    }


def escape_cell(text: str) -> str:
    """An apostrophe in front of a cell a spreadsheet could run as a formula, also behind leading spaces."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS) else text


def _csv_lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(
        [_("Slot"), _("Question"), _("Type"), _("Drawn at random"), _("Attempts"),
         *[str(heading) for _k, heading, _e in COLUMNS], _("Flags")]
    )  # fmt: skip
    for item in rows:
        row = item["row"]
        yield writer.writerow(
            [
                item["slot"],
                escape_cell(str(item["name"])),
                item["qtype"],
                _("yes") if item["drawn"] else "",
                row.count,
                *["" if getattr(row, key) is None else f"{getattr(row, key):.2f}" for key, _h, _e in COLUMNS],
                "; ".join(item["flags"]),
            ]
        )


@organization_view
@require_http_methods(["GET", "POST"])
def quiz_statistics(
    request: HttpRequest, organization: Organization, principal: Principal, course_id: int, uid: uuid.UUID
) -> HttpResponseBase:
    course = _course(organization, principal, course_id)
    quiz = _quiz(course, uid)
    choice = WhichForm(request.POST if request.method == "POST" else (request.GET or None))
    which = choice.value()
    here = reverse("assessment:quiz-statistics", args=[course.pk, uid])
    if request.method == "POST":
        if services.statistics_request(course=course, activity_uid=uid, which=which):
            messages.success(request, _(RECALCULATED))
        else:
            messages.info(request, _(QUEUED))
        return redirect(f"{here}?which={which}")
    stored = services.statistics_stored(course=course, activity_uid=uid, which=which)
    pending = False
    if stored is None or not services.is_current(stored, course=course):
        if services.statistics_request(course=course, activity_uid=uid, which=which):
            stored = services.statistics_stored(course=course, activity_uid=uid, which=which)
        else:
            pending = True
    rows = question_rows(stored) if stored is not None else []
    summary = dict(stored.summary) if stored is not None else {}
    if request.GET.get("format") == "csv" and stored is not None:
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quiz-statistics-{course.pk}-{uid.hex[:8]}.csv"'
        return response
    chart = _chart_data(rows, summary)
    context = {
        "course": course,
        "quiz": quiz,
        "title": quiz.title or _("Quiz (removed from the course)"),
        "form": choice if choice.is_bound else WhichForm(initial={"which": which}),
        "which": which,
        "which_label": AttemptChoice(which).label,
        "stored": stored,
        "pending": pending,
        "summary": [
            {"key": key, "label": label, "explain": explain, "value": figure(summary.get(key), unit)}
            for key, label, explain, unit in SUMMARY
        ],
        "attempts": summary.get("attempts", 0),
        "columns": [{"key": key, "heading": heading, "explain": explain} for key, heading, explain in COLUMNS],
        "rows": rows,
        "chart": chart,
        "histogram": list(zip(chart["histogram"]["labels"], chart["histogram"]["values"], strict=True)),
        "csv_url": f"{here}?which={which}&format=csv",
    }
    return render(request, "assessment/grading/statistics.html", context)
