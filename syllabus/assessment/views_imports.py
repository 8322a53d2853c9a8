"""Import questions into a bank (upload → dry run → import all, or only the valid ones) and export them.

The dry run keeps the uploaded file on the server (`imports.upload_stash`, bound to the person and the bank); the
import buttons send back only its random key, and the file is parsed and validated again before anything is
saved. The size limit is checked on the upload's size, before the file is read. Importing needs the right to
manage the bank; exporting, to read it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.assessment import selectors_banks
from syllabus.assessment.forms_banks import ExportForm, ImportApplyForm, ImportForm
from syllabus.assessment.models import QuestionBank
from syllabus.assessment.services import exports, imports
from syllabus.assessment.views_banks import bank_url, int_or_none, managed_bank, readable_bank, user_of

PREVIEW_ROWS = 500  # rows of the dry run's table; the counts cover every question


def _import_form(request: HttpRequest, bank: QuestionBank, tree: selectors_banks.CategoryTree) -> ImportForm:
    importable = imports.importable_formats()
    extensions = sorted({ext for fmt in importable for ext in fmt.extensions})
    initial = {"category": int_or_none(request.GET.get("category")) or (tree.roots[0].pk if tree.roots else None)}
    previewing = request.method == "POST" and request.POST.get("action") == "preview"
    return ImportForm(
        request.POST if previewing else None,
        request.FILES if previewing else None,
        format_choices=[(fmt.key, str(fmt.label)) for fmt in importable],
        categories=tree.choices(),
        accept=",".join(extensions),
        initial=initial,
    )


def _plan_context(plan: imports.ImportPlan, token: str, tree: selectors_banks.CategoryTree) -> dict[str, Any]:
    node = tree.by_id.get(plan.category.pk)
    return {
        "plan": plan,
        "rows": plan.rows[:PREVIEW_ROWS],
        "hidden_rows": max(len(plan.rows) - PREVIEW_ROWS, 0),
        "category_path": node.path if node is not None else plan.category.name,
        "token": token,
    }


@organization_view
@require_http_methods(["GET", "POST"])
def bank_import(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    bank = managed_bank(organization, principal, pk)
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    form = _import_form(request, bank, tree)
    context: dict[str, Any] = {"bank": bank, "form": form, "max_mb": imports.formats.MAX_FILE_BYTES // (1024 * 1024)}
    user = user_of(request)
    if request.method == "POST" and request.POST.get("action") == "preview":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            category = tree.by_id[form.cleaned_data["category"]].category
            try:
                plan = imports.import_preview(
                    bank=bank,
                    category=category,
                    fmt=form.cleaned_data["format"],
                    content=content,
                    filename=str(upload.name or ""),
                    by=user,
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                token = imports.upload_stash(
                    bank=bank,
                    by=user,
                    content=content,
                    filename=plan.filename,
                    format_key=plan.format_key,
                    category_id=category.pk,
                )
                context.update(_plan_context(plan, token, tree))
    elif request.method == "POST":
        apply_form = ImportApplyForm(request.POST)
        if not apply_form.is_valid():
            messages.error(request, imports.UPLOAD_EXPIRED)
            return redirect("assessment:bank-import", pk=bank.pk)
        token = apply_form.cleaned_data["token"]
        try:
            stashed = imports.upload_load(token=token, bank=bank, by=user)
        except ValidationError:
            messages.error(request, imports.UPLOAD_EXPIRED)
            return redirect("assessment:bank-import", pk=bank.pk)
        node = tree.by_id.get(stashed.category_id)
        if node is None:  # the category was deleted since the dry run
            messages.error(request, imports.UPLOAD_EXPIRED)
            return redirect("assessment:bank-import", pk=bank.pk)
        try:
            result = imports.import_apply(
                bank=bank,
                category=node.category,
                fmt=stashed.format_key,
                content=stashed.content,
                filename=stashed.filename,
                valid_only=apply_form.cleaned_data["mode"] == "valid",
                by=user,
            )
        except imports.ImportRejected as rejected:
            # The file reads differently now (the bank changed since the dry run): show the new dry run.
            context["notice"] = " ".join(rejected.messages)
            context.update(_plan_context(rejected.plan, token, tree))
        except ValidationError as exc:
            context["notice"] = " ".join(exc.messages)
        else:
            imports.upload_discard(token=token)
            messages.success(
                request,
                _("Imported %(created)s new question(s) and %(updated)s new version(s); %(skipped)s left out.")
                % {
                    "created": len(result.created_ids),
                    "updated": len(result.updated_ids),
                    "skipped": result.skipped + len(result.plan.problems),
                },
            )
            return redirect(bank_url(bank, node.pk))
    return render(request, "assessment/banks/import.html", context)


@organization_view
@require_GET
def bank_export(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    """Choose the format and category; the page then says what the file will hold (and which questions the format
    cannot carry) with the download button (`download=1`)."""
    bank = readable_bank(organization, principal, pk)
    tree = selectors_banks.category_tree(bank=bank, with_counts=False)
    exportable = exports.exportable_formats()
    asked = "format" in request.GET
    initial = {"category": tree.roots[0].pk if tree.roots else None, "subcategories": True}
    form = ExportForm(
        request.GET if asked else None,
        format_choices=[(fmt.key, str(fmt.label)) for fmt in exportable],
        categories=tree.choices(),
        initial=initial,
    )
    context: dict[str, Any] = {"bank": bank, "form": form, "formats": exportable, "plan": None}
    if asked and form.is_valid():
        options = {
            "bank": bank,
            "category": tree.by_id[form.cleaned_data["category"]].category,
            "fmt": form.cleaned_data["format"],
            "include_subcategories": form.cleaned_data["subcategories"],
            "include_hidden": form.cleaned_data["hidden"],
            "by": user_of(request),
        }
        try:
            if request.GET.get("download") == "1":
                exported = exports.export_questions(**options)
                response = HttpResponse(exported.content, content_type=exported.content_type)
                response["Content-Disposition"] = content_disposition_header(True, exported.filename) or "attachment"
                response["Cache-Control"] = "no-store"
                return response
            context["plan"] = exports.export_plan(**options)
            context["download_query"] = request.GET.urlencode() + "&download=1"
        except ValidationError as exc:
            form.add_service_error(exc)
    return render(request, "assessment/banks/export.html", context)
