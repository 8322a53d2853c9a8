"""Certificate templates: create, change (each change bumps `revision`), archive and restore, delete (only when no
award uses it), choose the organisation's default.

Every write needs `certificate.manage` (`policy.can_manage`), runs in a transaction and is audited. `by` None is
the system (the demo's ready-made designs) and is not asked for permission.

`clean_fields` is the one validation, used by the editor page, the API and the services themselves, so all three
refuse the same things with the same words; each refusal names its field, and the HTML and CSS ones their line.
The audit entries carry no template text (a digest of it instead) and no signatory names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.certificates import policy, rendering
from syllabus.certificates.models import Award, PageSize, Template

AUDIT_ACTIONS = (
    ("certificate.template_created", _("Certificate template created")),
    ("certificate.template_changed", _("Certificate template changed")),
    ("certificate.template_archived", _("Certificate template archived")),
    ("certificate.template_deleted", _("Certificate template deleted")),
)

FIELDS = ("name", "description", "html", "css", "page_size", "signatories")
# Fields whose change changes the drawing: a change bumps `revision` (certificates record the one they were drawn
# with). Renaming or describing a template does not.
DRAWN_FIELDS = ("html", "css", "page_size", "signatories")

NAME_MAX = 200
DESCRIPTION_MAX = 2000
HTML_MAX_BYTES = 100_000
CSS_MAX_BYTES = 50_000
SIGNATORIES_MAX = 4
SIGNATORY_FIELD_MAX = 100

NAME_REQUIRED = "Give the template a name."
NAME_TOO_LONG = f"Keep the name under {NAME_MAX} characters."
NAME_TAKEN = "Another template of the organisation already has this name."
DESCRIPTION_TOO_LONG = f"Keep the description under {DESCRIPTION_MAX} characters."
NOT_TEXT = "Send text."
HTML_REQUIRED = "Write the certificate's HTML."
HTML_TOO_BIG = f"The HTML is larger than {HTML_MAX_BYTES // 1000} kB."
CSS_TOO_BIG = f"The CSS is larger than {CSS_MAX_BYTES // 1000} kB."
PAGE_SIZE_UNKNOWN = "Choose one of the page sizes: " + ", ".join(PageSize.values) + "."
SIGNATORIES_NOT_LIST = "Send the signatories as a list of objects with a name and a title."
TOO_MANY_SIGNATORIES = f"A certificate has at most {SIGNATORIES_MAX} signatories."
SIGNATORY_NOT_OBJECT = "Signatory {number}: send an object with a name and a title."
SIGNATORY_NAME_REQUIRED = "Signatory {number}: give the name of the person who signs."
SIGNATORY_NAME_TOO_LONG = f"Signatory {{number}}: keep the name under {SIGNATORY_FIELD_MAX} characters."
SIGNATORY_TITLE_TOO_LONG = f"Signatory {{number}}: keep the title under {SIGNATORY_FIELD_MAX} characters."
TEMPLATE_IN_USE = (
    "This template is used by {count} award(s). Give them another template first, or archive this one instead."
)
ARCHIVED_NOT_DEFAULT = "An archived template cannot be the default. Restore it first."
ARCHIVED_NOT_CHANGED = "An archived template cannot be changed. Restore it first."


def _require_manage(by: User | None, organization: Organization) -> None:
    if by is not None and not policy.can_manage(principal_for(by, organization)):
        raise PermissionDenied(NOT_ALLOWED)


def _text(data: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(key, []).append(NOT_TEXT)
        return ""
    # NUL cannot be stored (PostgreSQL refuses it in text) and means nothing in a template.
    return value.replace("\x00", "")


def _signatories(value: Any, errors: list[str]) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors.append(SIGNATORIES_NOT_LIST)
        return []
    out: list[dict[str, str]] = []
    for number, row in enumerate(value, start=1):
        if not isinstance(row, Mapping):
            errors.append(SIGNATORY_NOT_OBJECT.format(number=number))
            continue
        name, title = row.get("name") or "", row.get("title") or ""
        if not isinstance(name, str) or not isinstance(title, str):
            errors.append(SIGNATORY_NOT_OBJECT.format(number=number))
            continue
        name, title = name.strip(), title.strip()
        if not name and not title:
            continue  # an empty row of the form
        if not name:
            errors.append(SIGNATORY_NAME_REQUIRED.format(number=number))
        if len(name) > SIGNATORY_FIELD_MAX:
            errors.append(SIGNATORY_NAME_TOO_LONG.format(number=number))
        if len(title) > SIGNATORY_FIELD_MAX:
            errors.append(SIGNATORY_TITLE_TOO_LONG.format(number=number))
        out.append({"name": name, "title": title})
    if len(out) > SIGNATORIES_MAX:
        errors.append(TOO_MANY_SIGNATORIES)
    return out


def clean_fields(
    organization: Organization, data: Mapping[str, Any], *, template: Template | None = None
) -> dict[str, Any]:
    """The template's fields from `data` (every key of FIELDS; missing ones are empty), checked and normalised.
    Raises a ValidationError naming each field at fault, with every problem at once."""
    errors: dict[str, list[str]] = {}
    name = _text(data, "name", errors).strip()
    description = _text(data, "description", errors).strip()
    html = _text(data, "html", errors)
    css = _text(data, "css", errors)
    page_size = data.get("page_size") or PageSize.A4_LANDSCAPE
    signatory_errors: list[str] = []
    signatories = _signatories(data.get("signatories"), signatory_errors)
    if signatory_errors:
        errors["signatories"] = signatory_errors

    if not name and "name" not in errors:
        errors["name"] = [NAME_REQUIRED]
    elif len(name) > NAME_MAX:
        errors["name"] = [NAME_TOO_LONG]
    elif name:
        others = Template.objects.filter(organization=organization, name__iexact=name)
        if template is not None:
            others = others.exclude(pk=template.pk)
        if others.exists():
            errors["name"] = [NAME_TAKEN]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [DESCRIPTION_TOO_LONG]
    if not html.strip() and "html" not in errors:
        errors["html"] = [HTML_REQUIRED]
    elif len(html.encode("utf-8")) > HTML_MAX_BYTES:
        errors["html"] = [HTML_TOO_BIG]
    elif html and (problems := rendering.html_problems(html)):
        errors["html"] = problems
    if len(css.encode("utf-8")) > CSS_MAX_BYTES:
        errors["css"] = [CSS_TOO_BIG]
    elif css and (problems := rendering.css_problems(css)):
        errors["css"] = problems
    if page_size not in PageSize.values:
        errors["page_size"] = [PAGE_SIZE_UNKNOWN]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": description,
        "html": html,
        "css": css,
        "page_size": str(page_size),
        "signatories": signatories,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _facts(template: Template) -> dict[str, Any]:
    """What the audit trail keeps of a template: no text, no signatory names."""
    return {
        "name": template.name,
        "page_size": template.page_size,
        "revision": template.revision,
        "html_sha256": _digest(template.html),
        "css_sha256": _digest(template.css),
        "signatories": len(template.signatories or []),
        "is_default": template.is_default,
        "archived": template.archived,
    }


def _save(template: Template) -> None:
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        # Two people saving the same name at once: the unique index decides, the loser hears why.
        raise ValidationError({"name": [NAME_TAKEN]}) from exc


def template_create(*, organization: Organization, by: User | None, data: Mapping[str, Any]) -> Template:
    """A new template of `organization` from `data` (see FIELDS)."""
    _require_manage(by, organization)
    fields = clean_fields(organization, data)
    with transaction.atomic():
        template = Template(organization=organization, created_by=by, **fields)
        _save(template)
        audit_record(
            organization=organization,
            action="certificate.template_created",
            actor=by,
            target=template,
            after=_facts(template),
        )
    return template


def template_update(*, template: Template, by: User | None, data: Mapping[str, Any]) -> Template:
    """Change `template`: the keys of `data` present are changed, the others kept. A change to what is drawn bumps
    `revision`; a call that changes nothing writes nothing."""
    _require_manage(by, template.organization)
    if template.archived:
        raise ValidationError(ARCHIVED_NOT_CHANGED)
    current = {name: getattr(template, name) for name in FIELDS}
    fields = clean_fields(template.organization, {**current, **data}, template=template)
    changed = [name for name in FIELDS if fields[name] != current[name]]
    if not changed:
        return template
    with transaction.atomic():
        before = _facts(template)
        for name in changed:
            setattr(template, name, fields[name])
        if any(name in DRAWN_FIELDS for name in changed):
            template.revision += 1
        _save(template)
        audit_record(
            organization=template.organization,
            action="certificate.template_changed",
            actor=by,
            target=template,
            before=before,
            after={**_facts(template), "changed": changed},
        )
    return template


def _set_flags(template: Template, by: User | None, action: str, **flags: bool) -> Template:
    with transaction.atomic():
        before = _facts(template)
        for name, value in flags.items():
            setattr(template, name, value)
        template.save(update_fields=[*flags, "updated_at"])
        audit_record(
            organization=template.organization,
            action=action,
            actor=by,
            target=template,
            before=before,
            after=_facts(template),
        )
    return template


def template_archive(*, template: Template, by: User | None) -> Template:
    """Hide a template from new awards. Awards that use it keep it; it stops being the default."""
    _require_manage(by, template.organization)
    if template.archived:
        return template
    return _set_flags(template, by, "certificate.template_archived", archived=True, is_default=False)


def template_restore(*, template: Template, by: User | None) -> Template:
    """Bring an archived template back."""
    _require_manage(by, template.organization)
    if not template.archived:
        return template
    return _set_flags(template, by, "certificate.template_changed", archived=False)


def template_set_default(*, template: Template, by: User | None) -> Template:
    """Make `template` the one new awards start with (one default per organisation)."""
    _require_manage(by, template.organization)
    if template.archived:
        raise ValidationError(ARCHIVED_NOT_DEFAULT)
    if template.is_default:
        return template
    with transaction.atomic():
        # The previous default steps down first: the partial unique index allows one default at a time.
        Template.objects.filter(organization_id=template.organization_id, is_default=True).update(is_default=False)
        return _set_flags(template, by, "certificate.template_changed", is_default=True)


def template_delete(*, template: Template, by: User | None) -> None:
    """Delete a template no award uses. Certificates drawn with it keep their PDF."""
    _require_manage(by, template.organization)
    with transaction.atomic():
        used = Award.objects.filter(template=template).count()
        if used:
            raise ValidationError(TEMPLATE_IN_USE.format(count=used))
        audit_record(
            organization=template.organization,
            action="certificate.template_deleted",
            actor=by,
            target=template,
            before=_facts(template),
        )
        template.delete()


# --- reads for the pages and the API -------------------------------------------------------------------------------


def template_list(*, organization: Organization, archived: bool | None = None) -> QuerySet[Template]:
    """The organisation's templates with how many awards use each (`award_count`), one query."""
    templates = Template.objects.filter(organization=organization).annotate(award_count=Count("awards"))
    if archived is not None:
        templates = templates.filter(archived=archived)
    return templates.order_by("archived", "name", "pk")


def template_get(*, organization: Organization, pk: int) -> Template | None:
    """One template of `organization` (None for another organisation's id), with `award_count`."""
    return template_list(organization=organization).select_related("organization").filter(pk=pk).first()
