"""The person's own notification pages: the bell in the header, the notification centre and the preferences page.

Everything here is about the signed-in person: a notification is found only among their own, in the organisation
they work in now plus their account-level ones (`selectors.centre_q`), so another person's id, or one of another
organisation, is not found (404) and nothing changes.

The bell costs the pages nothing: the header only holds an element that htmx fills from `bell` once the page has
loaded, again every minute, and whenever the centre changes something (the `notifications-changed` event, sent by
the centre's htmx answers in their HX-Trigger header). Without JavaScript the header still links to the centre.
The poll is passive (core/sessions.py): an unattended tab is still signed out when its session has been idle long
enough.
The centre's buttons are forms that work without JavaScript (POST, then back to the same list); with htmx they
swap the one notification (or the list) in place and say what happened in a status region.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import get_text_list
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.accounts import selectors as accounts_selectors
from syllabus.accounts.models import Organization, User
from syllabus.core import clock
from syllabus.core.sessions import passive_session
from syllabus.core.tenancy import current_organization
from syllabus.notifications import selectors, services
from syllabus.notifications.channels import base as channel_registry
from syllabus.notifications.forms import (
    NEVER_THIS_WAY,
    PreferencesForm,
    TypeRow,
    enabled_name,
    error_summary,
    mode_name,
    type_rows,
)
from syllabus.notifications.models import Notification

View = Callable[..., HttpResponseBase]

PAGE_SIZE = 25
FILTER_ALL, FILTER_UNREAD = "all", "unread"
# Sent by the centre's htmx answers (HX-Trigger): the bell in the header listens for it and asks for its count.
CHANGED_EVENT = "notifications-changed"
# The badge stays narrow; the accessible name always has the exact number.
BADGE_MAX = 99
# A page number; a notification id (a 64-bit key: 18 digits always fit).
PAGE_DIGITS, ID_DIGITS = 6, 18

# The subject last and unquoted: subjects often carry quotes of their own ("“Fire safety” is on your transcript").
MARKED_READ = gettext_lazy("Marked as read: %(subject)s")
MARKED_UNREAD = gettext_lazy("Marked as unread: %(subject)s")
NOTHING_UNREAD = gettext_lazy("Every notification was already read.")
LEADS_OUTSIDE = gettext_lazy("This notification’s link does not lead to a page of Syllabus, so it was not opened.")
SAVED = gettext_lazy("Your notification preferences are saved.")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def person_page(view: View) -> View:
    """Signed in; passes the organisation the person works in (None: account-level notifications only).

    Someone who belongs to organisations but has not chosen one yet chooses first (and comes back), as on every
    organisation page: otherwise the centre would quietly show only part of their notifications.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organization = current_organization(request)
        if organization is None and accounts_selectors.organizations_for_user(user=_user(request)).exists():
            chooser = reverse("accounts:choose-organization")
            return redirect(f"{chooser}?{urlencode({'next': request.get_full_path()})}")
        return view(request, organization, *args, **kwargs)

    return wrapper


def _own_or_404(user: User, organization: Organization | None, pk: int) -> Notification:
    notification = Notification.objects.filter(selectors.centre_q(user, organization), pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def _is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _number(value: str, digits: int) -> int | None:
    """A plain decimal number of at most `digits` digits, else None: int() alone takes "²", " 7" or "1_000", and
    raises (a 500) on a number thousands of digits long."""
    return int(value) if re.fullmatch(rf"[0-9]{{1,{digits}}}", value) else None


def is_inside_site(url: str) -> bool:
    """A path of this site ("/courses/12/"), never an address elsewhere ("https://…", "//host", "/\\host")."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


# --- the bell ------------------------------------------------------------------------------------------------------


def bell_context(count: int, latest: int, *, announce: bool = False) -> dict[str, Any]:
    return {
        "count": count,
        "latest": latest,
        "badge": f"{BADGE_MAX}+" if count > BADGE_MAX else str(count),
        "announce": announce,
        "announcement": _("New notifications: %(count)s unread.") % {"count": count} if announce else "",
    }


@passive_session
@require_safe
@never_cache
def bell(request: HttpRequest) -> HttpResponse:
    """The header's link to the centre with the unread count.

    `latest` is the newest notification id the page knows of, read or not. Only an unread notification newer than
    that is announced (to screen readers, politely): the minute's poll is silent when nothing arrived, and so is
    marking an older one unread again. Passive: the poll neither extends the session nor counts as the person
    being there, so an unattended tab still signs out when it has been idle long enough.
    """
    if not request.user.is_authenticated:
        # Signed out meanwhile (another tab): leave the header as it is rather than swap a sign-in page into it.
        return HttpResponse(status=204)
    count, latest, latest_unread = selectors.bell_state(user=_user(request), organization=current_organization(request))
    known = _number(request.GET.get("latest", ""), ID_DIGITS)
    announce = known is not None and latest_unread > known
    context = bell_context(count, max(latest, known or 0), announce=announce)
    # Without the request: the site's context processors (navigation, roles) would cost the poll ~6 queries.
    return HttpResponse(render_to_string("notifications/_bell.html", context))


# --- the centre ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One notification as the centre shows it (words worked out here: templates only display)."""

    notification: Notification
    unread: bool
    when: str  # "3 hours ago"


def _when(created_at: dt.datetime, now: dt.datetime) -> str:
    if now - created_at < dt.timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(created_at, now, depth=1)}


def _rows(notifications: Any) -> list[Row]:
    now = clock.now()
    return [
        Row(notification=item, unread=item.read_at is None, when=_when(item.created_at, now)) for item in notifications
    ]


def _filter_of(value: str) -> str:
    return FILTER_UNREAD if value == FILTER_UNREAD else FILTER_ALL


def _page(request: HttpRequest, organization: Organization | None, filter_: str, number: str | None) -> Page[Any]:
    notifications = selectors.notification_list(
        user=_user(request), organization=organization, unread_only=filter_ == FILTER_UNREAD
    )
    return Paginator(notifications, PAGE_SIZE).get_page(number)


def _list_context(
    request: HttpRequest, organization: Organization | None, filter_: str, number: str | None
) -> dict[str, Any]:
    page = _page(request, organization, filter_, number)
    return {
        "page_obj": page,
        "rows": _rows(page.object_list),
        "filter": filter_,
        "page_number": page.number,
        "filters": [
            {"key": FILTER_ALL, "label": _("All"), "url": reverse("notifications:centre")},
            {
                "key": FILTER_UNREAD,
                "label": _("Unread"),
                "url": f"{reverse('notifications:centre')}?{urlencode({'filter': FILTER_UNREAD})}",
            },
        ],
    }


@person_page
@require_safe
def centre(request: HttpRequest, organization: Organization | None) -> HttpResponse:
    context = _list_context(request, organization, _filter_of(request.GET.get("filter", "")), request.GET.get("page"))
    return render(request, "notifications/centre.html", context)


def _back(request: HttpRequest, anchor: str = "") -> HttpResponse:
    """The list the button was pressed on (same filter, same page), for browsers without JavaScript."""
    query = {}
    if _filter_of(request.POST.get("filter", "")) == FILTER_UNREAD:
        query["filter"] = FILTER_UNREAD
    page = _number(request.POST.get("page", ""), PAGE_DIGITS)
    if page is not None and page > 1:
        query["page"] = str(page)
    url = reverse("notifications:centre")
    if query:
        url = f"{url}?{urlencode(query)}"
    return redirect(f"{url}#{anchor}" if anchor else url)


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHANGED_EVENT
    return response


def _after_toggle(request: HttpRequest, notification: Notification, message: str) -> HttpResponse:
    if not _is_fragment(request):
        messages.success(request, message)
        return _back(request, f"notification-{notification.pk}")
    notification.refresh_from_db(fields=["read_at"])
    context = {
        "row": _rows([notification])[0],
        "filter": _filter_of(request.POST.get("filter", "")),
        "page_number": _number(request.POST.get("page", ""), PAGE_DIGITS) or 1,
        "status_message": message,
    }
    return _changed(render(request, "notifications/_item.html", context))


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    organization = current_organization(request)
    notification = _own_or_404(_user(request), organization, pk)
    services.notifications_mark_read(user=_user(request), organization=organization, ids=[notification.pk])
    return _after_toggle(request, notification, MARKED_READ % {"subject": notification.subject})


@login_required
@require_POST
def mark_unread(request: HttpRequest, pk: int) -> HttpResponse:
    organization = current_organization(request)
    notification = _own_or_404(_user(request), organization, pk)
    services.notifications_mark_unread(user=_user(request), organization=organization, ids=[notification.pk])
    return _after_toggle(request, notification, MARKED_UNREAD % {"subject": notification.subject})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    count = services.notifications_mark_all_read(user=_user(request), organization=organization)
    if count:
        message = ngettext(
            "%(count)s notification is marked as read.", "%(count)s notifications are marked as read.", count
        ) % {"count": count}
    else:
        message = str(NOTHING_UNREAD)
    if not _is_fragment(request):
        messages.success(request, message)
        return _back(request)
    filter_ = _filter_of(request.POST.get("filter", ""))
    context = {**_list_context(request, organization, filter_, request.POST.get("page")), "status_message": message}
    return _changed(render(request, "notifications/_results.html", context))


@person_page
@require_safe
def open_notification(request: HttpRequest, organization: Organization | None, pk: int) -> HttpResponse:
    """Mark read and go where the notification leads, if that is a page of this site; else back to the centre."""
    notification = _own_or_404(_user(request), organization, pk)
    services.notifications_mark_read(user=_user(request), organization=organization, ids=[notification.pk])
    if notification.url and is_inside_site(notification.url):
        return redirect(notification.url)
    if notification.url:
        messages.error(request, LEADS_OUTSIDE)
    return redirect(f"{reverse('notifications:centre')}#notification-{notification.pk}")


# --- preferences ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    channel: channel_registry.Channel
    field: Any  # the checkbox (BoundField)
    mode: Any  # the at once / daily digest choice (BoundField), None where the channel or the type has none
    always_at_once: bool  # a digest channel, but the type is urgent: it never waits
    never: str  # a mandatory type that never uses this channel says so in words instead of a checkbox; else ""


@dataclass(frozen=True)
class FixedRow:
    """A type the person can change nothing about, summed up in one line ("Password reset link: Email")."""

    label: str
    ways: str  # the channels it always uses, in words


def _is_fixed(row: TypeRow, form: PreferencesForm) -> bool:
    return all(choice.locked for choice in row.choices.values()) and not any(
        mode_name(row.kind.key, channel) in form.fields for channel in row.choices
    )


def _cells(row: TypeRow, form: PreferencesForm, channels: list[channel_registry.Channel]) -> list[Cell]:
    cells = []
    for channel in channels:
        choice = row.choices[channel.key]
        mode = mode_name(row.kind.key, channel.key)
        cells.append(
            Cell(
                channel=channel,
                field=form[enabled_name(row.kind.key, channel.key)],
                mode=form[mode] if mode in form.fields else None,
                always_at_once=channel.supports_digest and row.kind.urgent and (choice.enabled or not choice.locked),
                never=str(NEVER_THIS_WAY) if choice.locked and not choice.enabled else "",
            )
        )
    return cells


def _layout(
    rows: list[TypeRow], form: PreferencesForm, channels: list[channel_registry.Channel]
) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[tuple[str, list[FixedRow]]]]:
    """The page's tables, by category, and the summary of the types that cannot be changed, by reason.

    What the person can change comes first: the summary goes last, and so does a table whose every box is fixed
    (a mandatory type that leaves only the digest choice), so a phone does not scroll past a screenful of fixed
    rows before the first real choice.
    """
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fixed: dict[str, list[FixedRow]] = defaultdict(list)
    labels = {channel.key: str(channel.label) for channel in channels}
    for row in rows:
        if _is_fixed(row, form):
            ways = [labels[key] for key, choice in row.choices.items() if choice.enabled]
            fixed[row.locked_reason].append(FixedRow(label=str(row.kind.label), ways=get_text_list(ways, _("and"))))
        else:
            sections[str(row.kind.category)].append({"row": row, "cells": _cells(row, form, channels)})
    ordered = sorted(
        sections.items(),
        key=lambda section: all(choice.locked for item in section[1] for choice in item["row"].choices.values()),
    )
    return ordered, list(fixed.items())


@person_page
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, organization: Organization | None) -> HttpResponse:
    user = _user(request)
    channels = channel_registry.all_channels()
    rows = type_rows(
        # Types that do not concern this person (approval requests for someone who approves nothing) are left out.
        selectors.types_for(user=user, organization=organization),
        selectors.preferences_of(user),
        services.mandatory_types(organization.pk if organization else None),
    )
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        rows=rows,
        channels=channels,
        person=services.person_settings_get(user),
        time_zone=user.time_zone,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            quiet_start, quiet_end, digest_time = form.times()
            try:
                # Both or neither: a refused preference must not leave the new quiet hours saved.
                with transaction.atomic():
                    services.person_settings_update(
                        user=user, quiet_start=quiet_start, quiet_end=quiet_end, digest_time=digest_time
                    )
                    services.preferences_update(user=user, organization=organization, changes=form.changes())
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, SAVED)
                return redirect("notifications:preferences")
        status = 400
    sections, fixed = _layout(rows, form, channels)
    context = {
        "form": form,
        "channels": channels,
        "sections": sections,
        "fixed": fixed,
        "time_zone": user.time_zone,
        "error_summary": error_summary(form),
    }
    return render(request, "notifications/preferences.html", context, status=status)
