"""The question pages: the editor (new question of a chosen type, edit = a new version), the preview with a
"Check" that grades an answer without saving anything, the versions, and where a question is used.

The editor draws the common fields (forms_banks.QuestionForm) and the type's own part (`render_author`, field
names prefixed "t-"); saving goes through `services.questions`, whose refusal is shown field by field: the common
fields' errors on them, the type's beside its part. Who may do what: see views_banks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.assessment import policy, selectors_banks
from syllabus.assessment.forms_banks import TYPE_PART_ID, QuestionForm, error_summary
from syllabus.assessment.models import AnswerState, Question, QuestionBank, QuestionVersion
from syllabus.assessment.question_types import base as qtypes
from syllabus.assessment.services import questions as services
from syllabus.assessment.views_banks import (
    bank_url,
    int_or_none,
    managed_bank,
    managed_question,
    readable_question,
    user_of,
)
from syllabus.catalog import richtext
from syllabus.skills.selectors import skill_choices

TYPE_PREFIX = "t-"
PREVIEW_PREFIX = "q-"
PREVIEW_LABEL_ID = "q-label"
TYPE_GONE = "This question's type ({qtype}) is no longer available: it cannot be edited or previewed."
STATE_LABELS = {
    "right": AnswerState.RIGHT.label,
    "partial": AnswerState.PARTIAL.label,
    "wrong": AnswerState.WRONG.label,
    "gave_up": AnswerState.GAVE_UP.label,
    "needs_grading": AnswerState.NEEDS_GRADING.label,
    "info": AnswerState.INFO.label,
}


# --- the editor -------------------------------------------------------------------------------------------------------


def _form(
    request: HttpRequest, organization: Organization, bank: QuestionBank, initial: dict[str, Any], skill_ids: list[int]
) -> QuestionForm:
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    return QuestionForm(
        request.POST if request.method == "POST" else None,
        categories=tree.choices(),
        skill_choices=skill_choices(organization, include=skill_ids),
        initial=initial,
    )


def _editor(
    request: HttpRequest,
    *,
    bank: QuestionBank,
    qtype: qtypes.QuestionType,
    form: QuestionForm,
    data: dict[str, Any],
    question: Question | None,
) -> HttpResponse:
    category = question.category_id if question is not None else form.initial.get("category")
    context = {
        "bank": bank,
        "qtype": qtype,
        "form": form,
        "question": question,
        "version": question.latest if question is not None else None,
        "type_part": qtype.render_author(data=data, errors=form.type_errors, prefix=TYPE_PREFIX),
        "type_part_id": TYPE_PART_ID,
        "error_summary": error_summary(form, form.type_errors) if form.is_bound else [],
        "back_url": bank_url(bank, category),
    }
    return render(request, "assessment/banks/question_form.html", context)


def _save(
    request: HttpRequest,
    organization: Organization,
    *,
    bank: QuestionBank,
    qtype: qtypes.QuestionType,
    form: QuestionForm,
    question: Question | None,
) -> tuple[Question | None, dict[str, Any]]:
    """Validate and save the posted form; (the saved question, the type's data as typed). Every error at once: when
    the common fields fail to parse, the service still judges the rest, so the type's errors show too."""
    data = qtype.data_from_form(request.POST, prefix=TYPE_PREFIX)
    valid = form.is_valid()
    values = form.fields_for_service(
        qtype=qtype.key, data=data, idnumber=question.idnumber if question is not None else ""
    )
    if not valid:
        try:
            services.validate(organization=organization, values=values)
        except ValidationError as exc:
            form.add_service_error(exc, only_new=True)
        return None, data
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    category = tree.by_id[form.cleaned_data["category"]].category
    category.bank = bank
    try:
        if question is None:
            question = services.question_create(bank=bank, category=category, values=values, by=user_of(request))
        else:
            services.question_update(question=question, values=values, by=user_of(request))
            if category.pk != question.category_id:
                services.question_move(questions=[question], category=category, by=user_of(request))
    except ValidationError as exc:
        form.add_service_error(exc)
        return None, data
    return question, data


def _after_save(request: HttpRequest, question: Question, created: bool) -> HttpResponse:
    if created:
        messages.success(request, _("The question %(name)s was created.") % {"name": question.name})
    else:
        messages.success(request, _("The question %(name)s was saved as a new version.") % {"name": question.name})
    if request.POST.get("then") == "preview":
        return redirect("assessment:question-preview", pk=question.pk)
    return redirect(bank_url(question.bank_id, question.category_id))


@organization_view
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """A new question of the type `?qtype=` in the category `?category=`; without a known type, the menu of types."""
    bank = managed_bank(organization, principal, pk)
    key = str(request.GET.get("qtype") or "")
    category = int_or_none(request.GET.get("category"))
    if not qtypes.is_registered(key):
        return render(
            request,
            "assessment/banks/question_types.html",
            {"bank": bank, "types": selectors_banks.type_list(), "category": category},
        )
    qtype = qtypes.get(key)
    form = _form(request, organization, bank, {"category": category, "default_mark": "1"}, [])
    data: dict[str, Any] = qtype.default_data()
    if request.method == "POST":
        question, data = _save(request, organization, bank=bank, qtype=qtype, form=form, question=None)
        if question is not None:
            return _after_save(request, question, created=True)
    return _editor(request, bank=bank, qtype=qtype, form=form, data=data, question=None)


@organization_view
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Edit the latest version; saving adds a version (attempts keep the one they used)."""
    question = managed_question(organization, principal, pk)
    version = question.latest
    if version is None or not qtypes.is_registered(question.qtype):
        messages.error(request, TYPE_GONE.format(qtype=question.qtype))
        return redirect(bank_url(question.bank, question.category_id))
    qtype = qtypes.get(question.qtype)
    skill_ids = [skill.pk for skill in question.skills.all()]
    form = _form(request, organization, question.bank, QuestionForm.initial_for(question, version), skill_ids)
    data: dict[str, Any] = dict(version.data)
    if request.method == "POST":
        saved, data = _save(request, organization, bank=question.bank, qtype=qtype, form=form, question=question)
        if saved is not None:
            return _after_save(request, saved, created=False)
    return _editor(request, bank=question.bank, qtype=qtype, form=form, data=data, question=question)


# --- the preview --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """What "Check" shows: the grade of the answer as the full review would show it."""

    state: str
    state_label: str
    fraction: Decimal | None
    mark: Decimal | None
    max_mark: Decimal
    right_answer: str
    summary: str


def _variant_seed(question: Question, version: QuestionVersion, seed: int) -> random.Random:
    # Fixed for a version and a seed: the posted answer is graded against the very variant that was shown.
    return random.Random(f"preview:{question.pk}:{version.number}:{seed}")  # noqa: S311 (a variant, not a secret)


def _check(
    qtype: qtypes.QuestionType, shown: qtypes.Question, variant: dict[str, Any], request: HttpRequest
) -> tuple[dict[str, Any], qtypes.Grade | None, list[str]]:
    raw = qtype.response_from_form(shown, variant, request.POST, PREVIEW_PREFIX)
    try:
        response = qtype.clean_response(shown, variant, raw)
    except ValidationError as exc:
        return {}, None, [str(message) for message in exc.messages]
    return response, qtype.grade(shown, variant, response), []


@organization_view
@require_http_methods(["GET", "POST"])
def question_preview(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """The question as a learner sees it (`?version=N`, else the latest; `?variant=N` for other drawn values). POST
    is "Check": the answer is graded and shown with everything the full review shows. Nothing is saved."""
    question = readable_question(organization, principal, pk)
    version = selectors_banks.version_get(question=question, number=int_or_none(request.GET.get("version")))
    if version is None:
        raise Http404
    if not qtypes.is_registered(version.qtype):
        messages.error(request, TYPE_GONE.format(qtype=version.qtype))
        return redirect(bank_url(question.bank, question.category_id))
    qtype = qtypes.get(version.qtype)
    seed = int_or_none(request.GET.get("variant")) or 1
    shown = services.version_as_question(version)
    variant = qtype.start(shown, _variant_seed(question, version, seed), shuffle=True)
    response: dict[str, Any] = {}
    grade: qtypes.Grade | None = None
    problems: list[str] = []
    if request.method == "POST":
        response, grade, problems = _check(qtype, shown, variant, request)
    checked = request.method == "POST" and not problems
    ctx = qtypes.RenderContext(
        question=shown,
        variant=variant,
        response=response,
        prefix=PREVIEW_PREFIX,
        label_id=PREVIEW_LABEL_ID,
        readonly=False,
        review=qtypes.FULL_REVIEW if checked else qtypes.NO_REVIEW,
        grade=grade if checked else None,
    )
    result = None
    if checked and grade is not None:
        max_mark = shown.default_mark if qtype.graded else Decimal(0)
        result = CheckResult(
            state=grade.state,
            state_label=str(STATE_LABELS.get(grade.state, grade.state)),
            fraction=grade.fraction,
            mark=(grade.fraction * max_mark).quantize(Decimal("0.01")) if grade.fraction is not None else None,
            max_mark=max_mark,
            right_answer=qtype.right_answer(shown, variant),
            summary=qtype.summarise_response(shown, variant, response),
        )
    base = reverse("assessment:question-preview", args=[question.pk])
    query = f"?version={version.number}" if version.pk != question.latest_id else ""
    context = {
        "question": question,
        "version": version,
        "is_latest": version.pk == question.latest_id,
        "qtype": qtype,
        # Most types leave the question text to the page; those with inputs inside it draw it themselves.
        "text": "" if qtype.renders_text else mark_safe(richtext.sanitize_html(version.text)),
        "rendered": qtype.render(ctx),
        "label_id": PREVIEW_LABEL_ID,
        "result": result,
        "problems": problems,
        "general_feedback": mark_safe(richtext.sanitize_html(version.general_feedback)) if checked else "",
        "self_url": f"{base}{query}{'&' if query else '?'}variant={seed}",
        "other_variant_url": f"{base}{query}{'&' if query else '?'}variant={seed + 1}",
        "can_manage": policy.can_manage_bank(principal, question.bank),
        "back_url": bank_url(question.bank, question.category_id),
    }
    return render(request, "assessment/banks/question_preview.html", context)


# --- versions and usage -------------------------------------------------------------------------------------------


@organization_view
@require_GET
def question_versions(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    question = readable_question(organization, principal, pk)
    context = {
        "question": question,
        "versions": list(selectors_banks.version_list(question=question)),
        "type_label": selectors_banks.type_label(question.qtype),
        "can_manage": policy.can_manage_bank(principal, question.bank),
        "back_url": bank_url(question.bank, question.category_id),
    }
    return render(request, "assessment/banks/question_versions.html", context)


@organization_view
@require_GET
def question_usage(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    question = readable_question(organization, principal, pk)
    usage = selectors_banks.question_usage(question=question)
    context = {
        "question": question,
        "usage": usage,
        "figures": selectors_banks.question_figures(
            organization_id=question.organization_id, question_ids=[question.pk]
        ).get(question.pk),
        "back_url": bank_url(question.bank, question.category_id),
    }
    return render(request, "assessment/banks/question_usage.html", context)
