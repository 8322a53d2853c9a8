"""The organisation's notification settings: the types with their mandatory flags and wording per language, the
wording editor with a live preview on sample data, and the delivery log.

Every page needs `notification.manage` organisation-wide (org admins, platform admins); anyone else gets 403.
Types are global, but wording and mandatory flags are the current organisation's: another organisation's wording
is never read here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.notifications import rendering, selectors, services
from syllabus.notifications import types as registry
from syllabus.notifications.channels import base as channels
from syllabus.notifications.channels.email.channel import absolute
from syllabus.notifications.forms_admin import DeliveryLogFilterForm, MandatoryForm, TemplateForm
from syllabus.notifications.models import Delivery, DeliveryStatus, Template

CAPABILITY = "notification.manage"
LOG_PAGE_SIZE = 50
LOG_SUBJECT_CHARS = 80  # the log is a table of many columns: the subject is there to recognise the message
# Failed and bounced deliveries show why; the error of an attempt that was retried and then sent is history.
SHOWS_ERROR = {DeliveryStatus.FAILED, DeliveryStatus.BOUNCED}


def _require(principal: Principal) -> None:
    # Organisation-wide only: wording and mandatory flags reach everyone, so a grant over an org unit is not enough.
    if not principal.holds_org_wide(CAPABILITY):
        raise PermissionDenied(NOT_ALLOWED)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


# --- languages and wording states -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Language:
    code: str
    name: str


def _language_name(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _languages(organization: Organization, also: set[str] | frozenset[str] = frozenset()) -> list[Language]:
    """The organisation's language first, then the ones Syllabus speaks, then any other it has wording in."""
    codes = [organization.default_language, *(code for code, _name in settings.LANGUAGES), *sorted(also)]
    return [Language(code, _language_name(code)) for code in dict.fromkeys(code for code in codes if code)]


def _customised_words(template: Template) -> str:
    date = formats.date_format(timezone.localtime(template.updated_at), "DATE_FORMAT")
    author = template.updated_by
    if author is None:
        return _("Customised on %(date)s") % {"date": date}
    return _("Customised on %(date)s by %(name)s") % {"date": date, "name": author.display_name or author.email}


# --- the types ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    language: Language
    customised: bool
    words: str
    url: str


@dataclass(frozen=True)
class TypeRow:
    kind: registry.NotificationType
    channels: str
    required_by_syllabus: bool
    can_toggle: bool
    org_mandatory: bool
    wordings: list[Wording]


@dataclass(frozen=True)
class CategoryGroup:
    name: str
    rows: list[TypeRow]


def _channel_label(key: str) -> str:
    try:
        return str(channels.get(key).label)
    except LookupError:
        return key


def _type_groups(organization: Organization) -> list[CategoryGroup]:
    templates = selectors.templates_of(organization)
    mandatory = selectors.mandatory_in(organization)
    languages = _languages(organization, {language for _key, language in templates})
    groups: dict[str, CategoryGroup] = {}
    for kind in registry.all_types():
        wordings = []
        if not kind.account_level:
            for language in languages:
                template = templates.get((kind.key, language.code))
                wordings.append(
                    Wording(
                        language=language,
                        customised=template is not None,
                        words=_customised_words(template) if template is not None else _("Built-in wording"),
                        url=reverse("notifications:admin_template", args=[kind.key, language.code]),
                    )
                )
        row = TypeRow(
            kind=kind,
            channels=", ".join(_channel_label(key) for key in kind.default_channels) or _("None"),
            required_by_syllabus=kind.mandatory,
            can_toggle=kind.org_mandatory_allowed and not kind.mandatory and not kind.account_level,
            org_mandatory=kind.key in mandatory,
            wordings=wordings,
        )
        category = str(kind.category)
        groups.setdefault(category, CategoryGroup(name=category, rows=[])).rows.append(row)
    return list(groups.values())


def _types_page(
    request: HttpRequest, organization: Organization, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    context = {"groups": _type_groups(organization), "errors": errors or []}
    return render(request, "notifications/admin/types.html", context, status=status)


@organization_view
@require_http_methods(["GET", "POST"])
def types(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """Every notification type by category; POST makes one mandatory for everyone, or optional again."""
    _require(principal)
    if request.method != "POST":
        return _types_page(request, organization)
    form = MandatoryForm(request.POST)
    if form.is_valid():
        kind = registry.get(form.cleaned_data["type_key"])
        mandatory = form.cleaned_data["mandatory"]
        try:
            services.type_mandatory_set(
                organization=organization, type_key=kind.key, mandatory=mandatory, by=_user(request)
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if mandatory:
                done = _("“%(type)s” is now mandatory: nobody in the organisation can turn it off.")
            else:
                done = _("People may turn “%(type)s” off again.")
            messages.success(request, done % {"type": kind.label})
            return redirect("notifications:admin_types")
    problems = [str(message) for messages_of_field in form.errors.values() for message in messages_of_field]
    return _types_page(request, organization, errors=problems, status=400)


# --- the wording of one type in one language ------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceholderRow:
    token: str  # as typed in the wording: "{{ learner_name }}"
    label: str
    sample: str


@dataclass(frozen=True)
class Part:
    text: str
    unknown: bool  # an unknown placeholder, shown as typed and marked rather than dropped as the email would


@dataclass(frozen=True)
class Marked:
    """Preview text cut where unknown placeholders stand, so the page can mark them (and escape everything)."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return "".join(part.text for part in self.parts)


@dataclass(frozen=True)
class Preview:
    subject: Marked
    text: Marked  # the plain-text email, as sent
    paragraphs: list[Marked]  # the HTML email's paragraphs (the page escapes them, as the email does)
    problems: list[str]
    language: str
    recipient_name: str  # the admin's own name: the preview is the email as they would receive it
    organization: str
    platform: str


@dataclass(frozen=True)
class ErrorLink:
    label: str
    message: str
    target: str  # the field's id; empty for an error of the whole form


# Unknown placeholders travel through rendering as a numbered pair of private-use characters, which no placeholder
# pattern matches and no formatting changes; the admin's own text is cleared of these characters first.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
MARK = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")


def _hold_unknown(text: str, kind: registry.NotificationType, tokens: list[str]) -> str:
    def hold(match: re.Match[str]) -> str:
        if match.group(1) in kind.placeholders:
            return match.group(0)
        tokens.append(match.group(0))
        return f"{MARK_OPEN}{len(tokens) - 1}{MARK_CLOSE}"

    return rendering.PLACEHOLDER.sub(hold, text.replace(MARK_OPEN, "").replace(MARK_CLOSE, ""))


def _marked(text: str, tokens: list[str]) -> Marked:
    parts: list[Part] = []

    def plain(chunk: str) -> None:
        # A mark cut in half (the subject's length limit) is dropped rather than shown as a stray character.
        chunk = chunk.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
        if chunk:
            parts.append(Part(chunk, unknown=False))

    position = 0
    for match in MARK.finditer(text):
        plain(text[position : match.start()])
        parts.append(Part(tokens[int(match.group(1))], unknown=True))
        position = match.end()
    plain(text[position:])
    return Marked(tuple(parts))


def _customisable_or_404(type_key: str) -> registry.NotificationType:
    try:
        kind = registry.get(type_key)
    except LookupError:
        raise Http404 from None
    if kind.account_level:
        raise Http404
    return kind


def _preview(
    kind: registry.NotificationType, organization: Organization, language: str, subject: str, body: str, user: User
) -> Preview:
    """The draft filled in with the type's sample values, as the plain-text and HTML emails would carry it; an
    unknown placeholder stays visible as typed (the email would drop it)."""
    tokens: list[str] = []
    rendered = rendering.render(
        subject=_hold_unknown(subject, kind, tokens),
        body=_hold_unknown(body, kind, tokens),
        context=rendering.sample_context(kind),
        language=language,
        time_zone=user.time_zone,
    )
    problems = list(dict.fromkeys([*rendering.template_errors(subject, kind), *rendering.template_errors(body, kind)]))
    with translation.override(language):
        # Not a real address: the preview's button leads nowhere, and says so.
        item = {
            "subject": rendered.subject,
            "body": rendered.body,
            "url": _("(the link to the notification)"),
            "organization": organization.name,
        }
        text = render_to_string(
            "notifications/email/message.txt",
            {
                "digest": False,
                "items": [item],
                "subject": rendered.subject,
                "preferences_url": absolute(reverse("notifications:preferences")),
                "recipient_name": user.display_name or user.email,
                "platform": settings.SYLLABUS_PLATFORM_NAME,
            },
        )
    # Split as the email channel does: an empty line starts a new paragraph.
    paragraphs = [_marked(part.strip(), tokens) for part in rendered.body.split("\n\n") if part.strip()]
    return Preview(
        subject=_marked(rendered.subject, tokens),
        text=_marked(text.strip(), tokens),
        paragraphs=paragraphs,
        problems=problems,
        language=language,
        recipient_name=user.display_name or user.email,
        organization=organization.name,
        platform=settings.SYLLABUS_PLATFORM_NAME,
    )


def _error_summary(form: TemplateForm) -> list[ErrorLink]:
    """The form's errors for the summary above it, each linking to its field (focused when the page loads)."""
    links = [ErrorLink("", str(message), "") for message in form.non_field_errors()]
    for name in form.fields:
        bound = form[name]
        links += [ErrorLink(str(bound.label), str(message), bound.id_for_label) for message in bound.errors]
    return links


@organization_view
@require_http_methods(["GET", "POST"])
def template_edit(
    request: HttpRequest, organization: Organization, principal: Principal, type_key: str, language: str
) -> HttpResponse:
    """Edit the wording; POST `preview` answers the preview alone (htmx) or the page, `reset` goes back to the
    built-in wording, anything else saves."""
    _require(principal)
    kind = _customisable_or_404(type_key)
    current = selectors.template_get(organization=organization, type_key=kind.key, language=language)
    languages = {lang.code: lang for lang in _languages(organization, {language} if current else frozenset())}
    if language not in languages:
        raise Http404
    if request.method == "POST" and "reset" in request.POST:
        if services.template_reset(organization=organization, type_key=kind.key, language=language, by=_user(request)):
            messages.success(
                request,
                _("“%(type)s” uses the built-in %(language)s wording again.")
                % {"type": kind.label, "language": languages[language].name},
            )
        return redirect("notifications:admin_types")

    with translation.override(language):
        builtin = {"subject": str(kind.subject), "body": str(kind.body)}
    initial = {"subject": current.subject, "body": current.body} if current else builtin
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if "preview" in request.POST:
            if _wants_fragment(request):
                preview = _preview(kind, organization, language, *form.draft(), _user(request))
                return render(request, "notifications/admin/_preview.html", {"preview": preview, "fragment": True})
        elif form.is_valid():
            try:
                services.template_save(
                    organization=organization,
                    type_key=kind.key,
                    language=language,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    by=_user(request),
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    _("The %(language)s wording of “%(type)s” was saved.")
                    % {"type": kind.label, "language": languages[language].name},
                )
                return redirect("notifications:admin_types")
        if "preview" not in request.POST:
            status = 400
    else:
        form = TemplateForm(initial=initial)
    context: dict[str, Any] = {
        "kind": kind,
        "language": languages[language],
        "form": form,
        "placeholders": [
            PlaceholderRow(token=f"{{{{ {name} }}}}", label=str(placeholder.label), sample=str(placeholder.sample))
            for name, placeholder in kind.placeholders.items()
        ],
        "state": _customised_words(current) if current else _("Built-in wording"),
        "customised": current is not None,
        "preview": _preview(kind, organization, language, *form.draft(), _user(request)),
        "error_summary": _error_summary(form) if status == 400 else [],
        "page_url": request.path,
    }
    return render(request, "notifications/admin/template.html", context, status=status)


# --- the delivery log -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    delivery: Delivery
    created_at: dt.datetime
    recipient: str
    recipient_email: str  # shown under the name; empty when the name is the email
    type_label: str
    subject: str
    channel: str
    error: str


def _type_label(key: str) -> str:
    try:
        return str(registry.get(key).label)
    except LookupError:
        return key  # a type whose app was removed: its key is all the log has


def _log_row(delivery: Delivery) -> LogRow:
    notification = delivery.notification
    recipient = notification.recipient
    return LogRow(
        delivery=delivery,
        created_at=notification.created_at,
        recipient=recipient.display_name or recipient.email,
        recipient_email=recipient.email if recipient.display_name else "",
        type_label=_type_label(notification.type_key),
        subject=Truncator(notification.subject).chars(LOG_SUBJECT_CHARS),
        channel=_channel_label(delivery.channel),
        error=delivery.last_error if delivery.status in SHOWS_ERROR else "",
    )


@organization_view
@require_GET
def delivery_log(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    """What was sent to whom, newest first: filtered by recipient, creation days, status, channel and type, 50 a
    page."""
    _require(principal)
    form = DeliveryLogFilterForm(request.GET)
    deliveries = selectors.delivery_log(
        organization=organization,
        **form.filters(),  # type: ignore[arg-type]
        time_zone=_user(request).time_zone,
    )
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "rows": [_log_row(delivery) for delivery in page.object_list]}
    template = "notifications/admin/_log_results.html" if _wants_fragment(request) else "notifications/admin/log.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
