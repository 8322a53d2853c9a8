"""The certificate template pages: the list, the editor (create and edit) with its live preview, the preview as
PDF, and the actions (default, archive, restore, delete, add the ready-made designs).

Everything here needs `certificate.manage` (org admins and compliance officers): without it, forbidden (403).
Another organisation's template is not found (404), whoever asks.

The live preview is a sandboxed frame (`<iframe sandbox>`: no scripts, an opaque origin) that the editor's form
posts into (`formtarget`); `template-editor.js` posts it 600 ms after the last keystroke, and without JavaScript the
"Update preview" button does. The frame is a document of its own, not `srcdoc`, because a `srcdoc` document
inherits the editor page's CSP, whose `style-src 'self'` would refuse the template's own styles. The preview
document instead carries its own policy: inline styles and data: images, nothing else (no script, no fetch, no
form), framed only by our own pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.certificates import default_templates, placeholders, policy, rendering
from syllabus.certificates.forms_templates import TemplateForm, error_summary
from syllabus.certificates.models import PageSize, Template
from syllabus.certificates.services import templates as services

# The preview document's own policy (see the module docstring). `sandbox`: even opened on its own, outside the
# editor's sandboxed frame, the document is an opaque origin.
PREVIEW_CSP: dict[str, Any] = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "font-src": ["data:"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
    "sandbox": True,
}
PREVIEW_FRAME = "template-preview"
# The preview page is drawn at its size and zoomed to fit the frame: one media query per zoom level.
PREVIEW_ZOOMS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)
PREVIEW_PADDING_PX = 32
MM_TO_PX = 96 / 25.4


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _template_or_404(organization: Organization, pk: int) -> Template:
    template = services.template_get(organization=organization, pk=pk)
    if template is None:
        raise Http404
    return template


# --- the list -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    template: Template
    page_size: str
    award_count: int
    can_delete: bool


@organization_view
@require_GET
def template_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_manage(principal))
    sizes = dict(PageSize.choices)
    rows = [
        TemplateRow(
            template=template,
            page_size=str(sizes.get(template.page_size, template.page_size)),
            award_count=template.award_count,  # type: ignore[attr-defined]
            can_delete=not template.award_count,  # type: ignore[attr-defined]
        )
        for template in services.template_list(organization=organization)
    ]
    return render(request, "certificates/templates/list.html", {"rows": rows})


# --- the editor -----------------------------------------------------------------------------------------------------


def _new_template_initial(organization: Organization) -> dict[str, Any]:
    """A new template starts from the classic design: easier to change than to write from nothing."""
    fields = default_templates.builtin_fields()
    return {"html": fields.html, "css": fields.css, "page_size": fields.page_size}


def _editor(request: HttpRequest, template: Template | None, form: TemplateForm) -> HttpResponse:
    initial_preview = reverse("certificates:template-preview")
    if template is not None:
        initial_preview += f"?template={template.pk}"
    context = {
        "form": form,
        "template": template,
        "error_summary": error_summary(form) if form.is_bound and form.errors else [],
        "placeholders": placeholders.PLACEHOLDERS,
        "preview_frame": PREVIEW_FRAME,
        "preview_url": reverse("certificates:template-preview"),
        "initial_preview_url": initial_preview,
        "preview_pdf_url": reverse("certificates:template-preview-pdf", args=[template.pk]) if template else "",
    }
    return render(request, "certificates/templates/form.html", context)


def _save(request: HttpRequest, organization: Organization, template: Template | None) -> HttpResponse:
    initial = TemplateForm.initial_for(template) if template is not None else _new_template_initial(organization)
    form = TemplateForm(request.POST or None, organization=organization, template=template, initial=initial)
    if request.method != "POST":
        return _editor(request, template, form)
    if form.is_valid():
        try:
            if template is None:
                saved = services.template_create(
                    organization=organization, by=_user(request), data=form.data_for_service
                )
                messages.success(request, _("The template %(name)s was created.") % {"name": saved.name})
            else:
                saved = services.template_update(template=template, by=_user(request), data=form.data_for_service)
                messages.success(request, _("The template %(name)s was saved.") % {"name": saved.name})
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return redirect("certificates:template-edit", pk=saved.pk)
    return _editor(request, template, form)


@organization_view
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_manage(principal))
    return _save(request, organization, None)


@organization_view
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    template = _template_or_404(organization, pk)
    _require(policy.can_manage(principal))
    if template.archived:
        messages.error(request, _("An archived template cannot be changed. Restore it first."))
        return redirect("certificates:templates")
    return _save(request, organization, template)


# --- previews -------------------------------------------------------------------------------------------------------


def _zoom_css(page_size: str) -> str:
    """Media queries that zoom the page to the widest level that fits the frame (the frame's width is the
    preview document's viewport)."""
    width_mm = float(rendering.PAGE_DIMENSIONS.get(page_size, rendering.PAGE_DIMENSIONS[PageSize.A4_LANDSCAPE])[0][:-2])
    page_px = width_mm * MM_TO_PX
    rules = [f"body {{ zoom: {PREVIEW_ZOOMS[0]}; }}"]
    for zoom in PREVIEW_ZOOMS[1:]:
        rules.append(
            f"@media (min-width: {round(page_px * zoom + PREVIEW_PADDING_PX)}px) {{ body {{ zoom: {zoom}; }} }}"
        )
    return "\n".join(rules)


def _preview_document(
    organization: Organization, fields: rendering.TemplateFields, problems: list[str]
) -> HttpResponse:
    values = rendering.sample_context(organization, fields.signatories)
    context = rendering.document_context(fields, values, language=organization.default_language or "en")
    context.update({"problems": problems, "zoom_css": _zoom_css(fields.page_size)})
    html = render_to_string("certificates/templates/preview_document.html", context)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    # This response's own policy, replacing the site's (django-csp reads `_csp_config`), and framed by our pages
    # only (the clickjacking middleware leaves a header already set alone).
    response._csp_config = PREVIEW_CSP  # type: ignore[attr-defined]
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@organization_view
@require_http_methods(["GET", "POST"])
def template_preview(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """The preview document: POST the editor's form (as typed, saved or not); GET `?template=<id>` draws a saved
    template, and a bare GET the design a new template starts from."""
    _require(policy.can_manage(principal))
    if request.method == "POST":
        form = TemplateForm(request.POST, organization=organization)
        fields, problems = form.preview_fields()
        return _preview_document(organization, fields, problems)
    pk = request.GET.get("template", "")
    if pk:
        if not pk.isdigit():
            raise Http404
        template = _template_or_404(organization, int(pk))
        return _preview_document(organization, rendering.TemplateFields.of(template), [])
    return _preview_document(organization, default_templates.builtin_fields(), [])


@organization_view
@require_GET
def template_preview_pdf(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponse:
    """The saved template as a PDF, drawn with the made-up values, as the worker draws certificates."""
    template = _template_or_404(organization, pk)
    _require(policy.can_manage(principal))
    pdf = rendering.preview_pdf(rendering.TemplateFields.of(template), organization)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"template-{slugify(template.name) or template.pk}-preview.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["Cache-Control"] = "no-store"
    return response


# --- actions --------------------------------------------------------------------------------------------------------


def _action(request: HttpRequest, organization: Organization, principal: Principal, pk: int, run: Any) -> HttpResponse:
    """The template buttons: find it (404 for another organisation's), check who asks, run, say what happened."""
    template = _template_or_404(organization, pk)
    _require(policy.can_manage(principal))
    try:
        text = run(template, _user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, text)
    return redirect("certificates:templates")


@organization_view
@require_POST
def template_default(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(template: Template, by: User) -> str:
        services.template_set_default(template=template, by=by)
        return _("New awards now start with %(name)s.") % {"name": template.name}

    return _action(request, organization, principal, pk, run)


@organization_view
@require_POST
def template_archive(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(template: Template, by: User) -> str:
        services.template_archive(template=template, by=by)
        return _("%(name)s is archived. Awards that use it keep it.") % {"name": template.name}

    return _action(request, organization, principal, pk, run)


@organization_view
@require_POST
def template_restore(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(template: Template, by: User) -> str:
        services.template_restore(template=template, by=by)
        return _("%(name)s is back.") % {"name": template.name}

    return _action(request, organization, principal, pk, run)


@organization_view
@require_POST
def template_delete(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    def run(template: Template, by: User) -> str:
        name = template.name
        services.template_delete(template=template, by=by)
        return _("The template %(name)s was deleted.") % {"name": name}

    return _action(request, organization, principal, pk, run)


@organization_view
@require_POST
def template_add_defaults(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _require(policy.can_manage(principal))
    added = default_templates.template_create_defaults(organization, _user(request))
    if added:
        names = ", ".join(template.name for template in added)
        messages.success(request, _("Added the ready-made designs: %(names)s.") % {"names": names})
    else:
        messages.success(request, _("The ready-made designs are already there."))
    # From the new award page, which needs a template: back there to go on.
    if request.POST.get("then") == "award":
        return redirect("certificates:award-create")
    return redirect("certificates:templates")
