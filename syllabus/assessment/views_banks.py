"""The question bank pages: the list of banks, one bank (its category tree and the questions of the chosen category,
with search, filters, pages, bulk move and each question's actions), the category forms, and a new shared bank.

Who: a course's bank is read by the course team (`course.teach` or `course.edit`) and managed by its editors; the
shared banks are read with `question.use` and managed with `question.manage` (policy.py). Another organisation's
bank, category or question is not found (404); one of this organisation the person may not read or change is
forbidden (403), as the certificates pages do. Writes go through `services.questions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.assessment import policy, selectors_banks
from syllabus.assessment.forms_banks import BankForm, BulkMoveForm, CategoryForm, QuestionFilterForm
from syllabus.assessment.models import Difficulty, Question, QuestionBank, QuestionCategory
from syllabus.assessment.services import questions as services
from syllabus.skills.selectors import skill_choices

PAGE_SIZE = 50
COURSE_PAGE_SIZE = 50


# --- lookups shared by the bank, question and import pages ---------------------------------------------------------


def user_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def int_or_none(raw: Any) -> int | None:
    """A small whole number from a query string or a form, or None (ASCII digits only: str.isdigit() is also true
    for "²", which int() refuses)."""
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def readable_bank(organization: Organization, principal: Principal, pk: int) -> QuestionBank:
    """The bank, 404 for another organisation's, 403 when the person may not read it."""
    bank = selectors_banks.bank_get(organization=organization, pk=pk)
    if bank is None:
        raise Http404
    require(policy.can_read_bank(principal, bank))
    return bank


def managed_bank(organization: Organization, principal: Principal, pk: int) -> QuestionBank:
    bank = readable_bank(organization, principal, pk)
    require(policy.can_manage_bank(principal, bank))
    return bank


def readable_question(organization: Organization, principal: Principal, pk: int) -> Question:
    question = selectors_banks.question_get(organization=organization, pk=pk)
    if question is None:
        raise Http404
    require(policy.can_read_bank(principal, question.bank))
    return question


def managed_question(organization: Organization, principal: Principal, pk: int) -> Question:
    question = readable_question(organization, principal, pk)
    require(policy.can_manage_bank(principal, question.bank))
    return question


def bank_url(bank: QuestionBank | int, category: int | None = None) -> str:
    url = reverse("assessment:bank", args=[getattr(bank, "pk", bank)])
    return f"{url}?{urlencode({'category': category})}" if category else url


# --- the list of banks --------------------------------------------------------------------------------------------


@organization_view
@require_GET
def bank_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    require(policy.bank_area_visible(principal))
    search = request.GET.get("q", "")[:200]
    courses = selectors_banks.course_bank_list(organization=organization, principal=principal, search=search)
    page = Paginator(courses, COURSE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "course_rows": list(page),
        "shared_banks": list(selectors_banks.shared_bank_list(organization=organization, principal=principal)),
        "can_read_shared": policy.can_read_shared(principal),
        "can_manage_shared": policy.can_manage_shared(principal),
        "q": search,
    }
    return render(request, "assessment/banks/list.html", context)


@organization_view
@require_GET
def course_bank(request: HttpRequest, organization: Organization, principal: Principal, course_pk: int) -> HttpResponse:
    """A course's bank, created the first time its team opens it."""
    course = selectors_banks.course_get(organization=organization, pk=course_pk)
    if course is None:
        raise Http404
    # Asked of the bank the course would have, so the rule is policy's alone, saved or not.
    bank = getattr(course, "question_bank", None) or QuestionBank(organization_id=organization.pk, course=course)
    require(policy.can_read_bank(principal, bank))
    if bank.pk is None:
        bank = services.bank_for_course(course=course)
    return redirect("assessment:bank", pk=bank.pk)


@organization_view
@require_http_methods(["GET", "POST"])
def bank_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    require(policy.can_manage_shared(principal))
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = services.bank_create(
                organization=organization,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=user_of(request),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The bank %(name)s was created.") % {"name": bank.name})
            return redirect("assessment:bank", pk=bank.pk)
    return render(request, "assessment/banks/bank_form.html", {"form": form, "bank": None})


@organization_view
@require_http_methods(["GET", "POST"])
def bank_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    bank = managed_bank(organization, principal, pk)
    form = BankForm(request.POST or None, initial={"name": bank.name, "description": bank.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.bank_update(
                bank=bank,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=user_of(request),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The bank was saved."))
            return redirect("assessment:bank", pk=bank.pk)
    return render(request, "assessment/banks/bank_form.html", {"form": form, "bank": bank})


# --- one bank -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    type_label: str
    category_path: str
    tags: list[str]
    difficulty_label: str
    can_delete: bool
    # Item statistics of first attempts across quizzes (selectors_banks.question_figures): None, not known yet.
    figures: selectors_banks.QuestionFigures | None = None


def _filters_form(
    request: HttpRequest, organization: Organization, bank: QuestionBank, tree: Any
) -> QuestionFilterForm:
    form = QuestionFilterForm(
        request.GET,
        categories=tree.choices(),
        types=selectors_banks.type_choices(),
        tags=selectors_banks.bank_tags(bank=bank),
        skills=skill_choices(organization),
    )
    form.is_valid()  # a bad filter is ignored, not an error: `value()` falls back to its default
    return form


@organization_view
@require_GET
def bank_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    bank = readable_bank(organization, principal, pk)
    can_manage = policy.can_manage_bank(principal, bank)
    tree = selectors_banks.category_tree(bank=bank)
    form = _filters_form(request, organization, bank, tree)
    category_id = form.value("category")
    chosen = tree.by_id.get(category_id) if category_id is not None else None
    with_children = bool(form.value("subcategories", False))
    category_ids = None
    if chosen is not None:
        category_ids = tree.descendant_ids(chosen.pk) if with_children else [chosen.pk]
    filters = selectors_banks.QuestionFilters(
        search=form.value("q", ""),
        qtype=form.value("qtype", ""),
        tag=form.value("tag", ""),
        skill_id=form.value("skill"),
        difficulty=form.value("difficulty"),
        category_ids=category_ids,
        hidden=form.hidden_filter(),
    )
    page = Paginator(selectors_banks.question_list(bank=bank, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    difficulty_labels = dict(Difficulty.choices)
    questions = list(page)
    figures = selectors_banks.question_figures(
        organization_id=bank.organization_id, question_ids=[q.pk for q in questions]
    )
    rows = [
        QuestionRow(
            question=question,
            type_label=selectors_banks.type_label(question.qtype),
            category_path=tree.by_id[question.category_id].path if question.category_id in tree.by_id else "",
            tags=[tag.name for tag in question.tags.all()],
            difficulty_label=str(difficulty_labels.get(question.difficulty, question.difficulty)),
            can_delete=can_manage and not question.in_use,  # type: ignore[attr-defined]
            figures=figures.get(question.pk),
        )
        for question in questions
    ]
    move_form = BulkMoveForm(question_ids=[], categories=tree.choices()) if can_manage else None
    context = {
        "bank": bank,
        "can_manage": can_manage,
        "tree": tree.roots,
        "chosen": chosen,
        "with_children": with_children,
        "form": form,
        "filtered": form.filtered,
        "page_obj": page,
        "rows": rows,
        "types": selectors_banks.type_list() if can_manage else [],
        "move_form": move_form,
        "return_to": request.get_full_path(),
        "new_question_category": chosen.pk if chosen is not None else (tree.roots[0].pk if tree.roots else None),
    }
    return render(request, "assessment/banks/bank.html", context)


def _back(request: HttpRequest, bank: QuestionBank) -> HttpResponse:
    """Back to the page the action was sent from, when it is this bank's page (never elsewhere)."""
    target = str(request.POST.get("next") or "")
    if target.startswith(reverse("assessment:bank", args=[bank.pk])) and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect("assessment:bank", pk=bank.pk)


@organization_view
@require_POST
def questions_move(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Move the ticked questions of this bank to one of its categories."""
    bank = managed_bank(organization, principal, pk)
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    ids = [value for value in (int_or_none(raw) for raw in request.POST.getlist("questions")) if value is not None]
    chosen = list(Question.objects.filter(bank=bank, pk__in=ids[:1000]).select_related("bank"))
    form = BulkMoveForm(request.POST, question_ids=[q.pk for q in chosen], categories=tree.choices())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, bank)
    target = tree.by_id[form.cleaned_data["target"]].category
    target.bank = bank
    moved = services.question_move(questions=chosen, category=target, by=user_of(request))
    messages.success(
        request, _("%(count)s question(s) moved to %(category)s.") % {"count": moved, "category": target.name}
    )
    return _back(request, bank)


# --- categories ---------------------------------------------------------------------------------------------------


def _managed_category(organization: Organization, principal: Principal, pk: int) -> QuestionCategory:
    category = selectors_banks.category_get(organization=organization, pk=pk)
    if category is None:
        raise Http404
    require(policy.can_read_bank(principal, category.bank))
    require(policy.can_manage_bank(principal, category.bank))
    return category


@organization_view
@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    bank = managed_bank(organization, principal, pk)
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    initial = {"parent": int_or_none(request.GET.get("parent"))}
    form = CategoryForm(request.POST or None, parents=tree.choices(), initial=initial)
    if request.method == "POST" and form.is_valid():
        parent_id = form.cleaned_data["parent"]
        try:
            category = services.category_create(
                bank=bank,
                name=form.cleaned_data["name"],
                parent=tree.by_id[parent_id].category if parent_id is not None else None,
                description=form.cleaned_data["description"],
                by=user_of(request),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The category %(name)s was created.") % {"name": category.name})
            return redirect(bank_url(bank, category.pk))
    return render(request, "assessment/banks/category_form.html", {"form": form, "bank": bank, "category": None})


@organization_view
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Rename a category, change its description, or move it inside another one of the bank."""
    category = _managed_category(organization, principal, pk)
    bank = category.bank
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    below = set(tree.descendant_ids(category.pk))
    parents = [(pk, label) for pk, label in tree.choices() if pk not in below]
    initial = {"name": category.name, "parent": category.parent_id, "description": category.description}
    form = CategoryForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        parent_id = form.cleaned_data["parent"]
        try:
            services.category_update(
                category=category,
                name=form.cleaned_data["name"],
                parent=tree.by_id[parent_id].category if parent_id is not None else None,
                description=form.cleaned_data["description"],
                by=user_of(request),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The category %(name)s was saved.") % {"name": category.name})
            return redirect(bank_url(bank, category.pk))
    context = {
        "form": form,
        "bank": bank,
        "category": category,
        "can_delete": not tree.by_id[category.pk].children,
    }
    return render(request, "assessment/banks/category_form.html", context)


@organization_view
@require_POST
def category_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    category = _managed_category(organization, principal, pk)
    bank, name = category.bank, category.name
    try:
        services.category_delete(category=category, by=user_of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("assessment:category-edit", pk=category.pk)
    messages.success(request, _("The category %(name)s was deleted.") % {"name": name})
    return redirect("assessment:bank", pk=bank.pk)


# --- actions on one question --------------------------------------------------------------------------------------


@organization_view
@require_POST
def question_copy(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """A copy in the same category (its own history starts at version 1)."""
    question = managed_question(organization, principal, pk)
    copy = services.question_copy(question=question, category=question.category, by=user_of(request))
    messages.success(request, _("A copy of %(name)s was made.") % {"name": question.name})
    return redirect("assessment:question-edit", pk=copy.pk)


@organization_view
@require_POST
def question_hide(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Hide (`hidden=1`) or show again (`hidden=0`) a question."""
    question = managed_question(organization, principal, pk)
    hidden = request.POST.get("hidden") == "1"
    services.question_set_hidden(question=question, hidden=hidden, by=user_of(request))
    if hidden:
        text = _("%(name)s is hidden: quizzes that use it keep it, random slots no longer draw it.")
    else:
        text = _("%(name)s is shown again.")
    messages.success(request, text % {"name": question.name})
    return _back(request, question.bank)


@organization_view
@require_POST
def question_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    question = managed_question(organization, principal, pk)
    bank, name = question.bank, question.name
    try:
        services.question_delete(question=question, by=user_of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The question %(name)s was deleted.") % {"name": name})
    return _back(request, bank)
