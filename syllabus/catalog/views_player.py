"""The learner's activity player, its preview for the course team, completion signals, and course files.

- `activity` (GET): one activity of the course's *published* version, with the outline beside it. Only for
  people who `can_learn` the course; anyone else gets 404, so a draft-only course does not even exist for them.
- `activity_preview` (GET): the same page drawn from the *draft*, bannered "Preview", for `can_see_draft`;
  nothing is recorded.
- `activity_signal` (POST, JSON or a form): a completion report from the learner's browser, validated by the
  activity's kind, emitted as `catalog.events.ActivitySignalled`.
- `activity_open` (GET): records "opened" and redirects to the link's address or the document's download.
- `asset` (GET): a course file. The team gets any file of the course; learners only the files of the published
  version (`CourseVersion.asset_ids`). Served with its sniffed type, `nosniff`, a sandboxing CSP, a download
  name, ETag and byte ranges (video seeking).
- `richtext_upload` (POST): an image added in the rich-text editor, stored as a course asset (course.edit).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html import escape  # the standard library's: Django's is wrapped for lazy strings, 7x slower per call
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from syllabus.access.decorators import organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.catalog import course_access, learning, services, versions
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.events import ActivityOpened, ActivitySignalled
from syllabus.catalog.models import Course, CourseAsset, CourseVersion
from syllabus.core.events import emit

View = Callable[..., HttpResponseBase]

BAD_JSON = "The request body is not a JSON object."
NO_FILE = "Choose a file to upload."
SIGNAL_RECORDED = "Thank you: that is recorded."
# A report a kind refused as implausible (`"accepted": false` in its reply): the video kind's, for a stretch that
# grew faster than it could have been watched (beyond 4x speed). The browser shows this instead of its percentage.
REPORT_NOT_ACCEPTED = "This stretch was played too fast to count; watch it at normal speed."
KIND_UNAVAILABLE = "This activity cannot be shown: its kind is not available on this site."
# Files shown in the page (or a tab) rather than downloaded.
INLINE_TYPES = re.compile(r"^(image/(png|jpeg|gif|webp)|video/(mp4|webm)|application/pdf|text/vtt)$")
ASSET_CSP = "default-src 'none'; sandbox"
CHUNK_BYTES = 256 * 1024
MAX_SIGNAL_BYTES = 64 * 1024
# Byte positions in a Range header longer than this are beyond any file (and int() refuses > 4300 digits).
MAX_RANGE_DIGITS = 18


# --- lookups -------------------------------------------------------------------------------------------------


def _course_or_404(organization: Organization, pk: int) -> Course:
    course = (
        Course.objects.select_related("organization", "published_version")
        # Never the snapshot (~600 KB of JSON for a large course): the outline is cached per version, and the
        # activity shown is read alone (learning.version_outline, learning.version_activity).
        .defer("published_version__snapshot")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if course is None:
        raise Http404
    return course


def _learnable(principal: Principal, organization: Organization, pk: int) -> tuple[Course, CourseVersion]:
    """The course and the version this person learns (their enrollment's), if they may; 404 otherwise (never
    403): a course they may not learn does not exist for them."""
    course = _course_or_404(organization, pk)
    version_id = course_access.learning_version_id(principal, course)
    if version_id is None:
        raise Http404
    if course.published_version is not None and course.published_version.pk == version_id:
        return course, course.published_version
    version = CourseVersion.objects.filter(pk=version_id, course=course).defer("snapshot").first()
    if version is None:
        raise Http404
    return course, version


def _version_activity_or_404(version: CourseVersion, outline: learning.Outline, uid: Any) -> dict[str, Any]:
    found = learning.version_activity(version, outline, str(uid))
    if found is None:
        raise Http404
    return found


def _activity_or_404(snapshot: Mapping[str, Any], uid: Any) -> dict[str, Any]:
    found = versions.find_activity(snapshot, str(uid))
    if found is None:
        raise Http404
    return found


def asset_url(course_id: int, asset_id: int, name: str) -> str:
    return reverse("catalog:asset", kwargs={"pk": course_id, "asset_id": asset_id, "name": name or "file"})


def _asset_urls(course: Course, kind: kinds.ActivityKind | None, config: Mapping[str, Any]) -> Callable[[int], str]:
    """asset id -> URL, for the assets this activity refers to (their names in one query)."""
    ids = kind.asset_ids(config) if kind is not None else []
    names = dict(CourseAsset.objects.filter(course=course, pk__in=ids).values_list("pk", "original_name"))

    def url(asset_id: int) -> str:
        return asset_url(course.pk, asset_id, names.get(asset_id, "file"))

    return url


def _kind_of(activity: Mapping[str, Any]) -> kinds.ActivityKind | None:
    key = str(activity.get("kind", ""))
    return kinds.get(key) if kinds.is_registered(key) else None


def _emit(course: Course, version_id: int, activity: Mapping[str, Any], user: User, emitted: kinds.Emitted) -> None:
    emit(
        ActivitySignalled(
            organization_id=course.organization_id,
            course_id=course.pk,
            version_id=version_id,
            activity_uid=uuid.UUID(str(activity["uid"])),
            kind=str(activity["kind"]),
            signal=emitted.signal,
            user_id=user.pk,
            at=timezone.now(),
            data=dict(emitted.data),
        )
    )


# --- the player ------------------------------------------------------------------------------------------------


# Stands for an activity's or a section's uid in an address, replaced per item: one reverse() per page, not one per
# link (reverse() costs ~40 µs; an outline of 500 sections would spend 20 ms on it).
_PLACEHOLDER = uuid.UUID(int=0)


def _url_template(name: str, course_id: int) -> Callable[[str], str]:
    """uid -> reverse(name, args=[course_id, uid]), reversing once."""
    base = reverse(name, args=[course_id, _PLACEHOLDER])
    placeholder = str(_PLACEHOLDER)
    return lambda uid: base.replace(placeholder, uid)


@dataclass
class PlayerOutline:
    # The sections' <li> items before and after the current section's, drawn (see _section_items).
    before: SafeString
    after: SafeString
    # The current section: its heading drawn, and its activities (for catalog/player/_outline_items.html).
    section: dict[str, Any] | None
    items: list[dict[str, Any]]
    previous: dict[str, Any] | None
    current: dict[str, Any] | None
    next: dict[str, Any] | None


def _count_text(count: int, done: int | None) -> str:
    if done is None:
        return ngettext("%(count)s activity", "%(count)s activities", count) % {"count": count}
    return ngettext("%(done)s of %(count)s activity completed", "%(done)s of %(count)s activities completed", count) % {
        "done": done,
        "count": count,
    }


def _heading(uid: str, title: str, count_text: str, icon: str, link: str) -> str:
    """A section's heading and count, lean (player.css styles them by position; player.js gives a heading its id
    when it loads the section's activities): an outline has a heading per section, 500 in an L course. Its title
    links to `link` (the first activity) and opens the section in place with player.js. Every value escaped."""
    title = escape(title)
    if link:
        label = f'<a href="{escape(link)}" data-outline-toggle="{escape(uid)}">{title}</a>'
        heading = f"<h3>{label}</h3>"
    else:
        heading = f'<h3 id="outline-{escape(uid)}">{title}</h3>'
    icon_html = f'<span class="player-icon" aria-hidden="true">{escape(icon)}</span> ' if icon else ""
    return f"{heading}<p>{icon_html}{escape(count_text)}</p>"


def player_outline(
    outline: learning.Outline,
    current_uid: str,
    url_for: Callable[[str], str],
    *,
    states: Mapping[str, str] | None = None,
) -> PlayerOutline:
    """The outline beside the player and its pager: every section's heading (title, count and the learner's state)
    and only the current section's activities. A course of 1,500 activities would otherwise draw 1,500 links on
    every page; the other sections open on demand (player.js, the outline-section fragment) or, without
    JavaScript, through their title, a link to their first activity.

    The headings are drawn here, not in a template loop: the template engine spent ~40 µs a section (20 ms for a
    course of 500), this ~2 µs. Costs one pass over the sections and the learner's touched activities, never a
    walk of the snapshot."""
    position = outline.positions.get(current_uid)
    current_section = outline.activities[position].section if position is not None else None
    progress = outline.section_progress(states) if states is not None else None
    texts: dict[tuple[int, int | None], str] = {}  # the same few labels over and over: translated once each
    drawn: list[str] = []
    split = 0
    section_context: dict[str, Any] | None = None
    for index, section in enumerate(outline.sections):
        state, done = progress[index] if progress is not None else ("", None)
        key = (section.count, done)
        if key not in texts:
            texts[key] = _count_text(section.count, done)
        icon = learning.STATE_ICONS.get(state, "")
        if index == current_section:
            split = len(drawn)
            heading = _heading(section.uid, section.title, texts[key], icon, "")
            section_context = {"uid": section.uid, "title": section.title, "heading": mark_safe(heading)}
            continue
        link = url_for(outline.activities[section.start].uid) if section.count else ""
        drawn.append(f"<li>{_heading(section.uid, section.title, texts[key], icon, link)}</li>")
    if position is None or current_section is None:
        return PlayerOutline(mark_safe("\n".join(drawn)), mark_safe(""), None, [], None, None, None)
    items = [
        learning.outline_item(activity, url=url_for(activity.uid), states=states, current_uid=current_uid)
        for activity in outline.section_activities(current_section)
    ]
    here = next(item for item in items if item["current"])
    here["section_title"] = outline.sections[current_section].title

    def neighbour(at: int) -> dict[str, Any] | None:
        if not 0 <= at < len(outline.activities):
            return None
        activity = outline.activities[at]
        return learning.outline_item(activity, url=url_for(activity.uid), states=states)

    return PlayerOutline(
        before=mark_safe("\n".join(drawn[:split])),  # every value escaped in _heading
        after=mark_safe("\n".join(drawn[split:])),
        section=section_context,
        items=items,
        previous=neighbour(position - 1),
        current=here,
        next=neighbour(position + 1),
    )


@dataclass
class CourseEnd:
    """What the last activity's pager offers instead of "Next": the way back to the course page and, for a learner,
    what is left (the first activity not completed) or, once the course is completed, their dashboard and
    transcript."""

    course_url: str
    tracked: bool = False
    completed: bool = False
    left: int = 0
    left_text: str = ""
    next: dict[str, Any] | None = None
    dashboard_url: str = ""
    transcript_url: str = ""


def _reverse_or_blank(name: str) -> str:
    # The learner's dashboard and transcript belong to the progress app; without it they are simply not linked.
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def course_end(
    outline: learning.Outline,
    current_uid: str,
    url_for: Callable[[str], str],
    *,
    state: learning.PlayerState | None,
    course_url: str,
) -> CourseEnd:
    """The end of the course as the last activity shows it, from the learner's state (no query): how many
    activities are not completed yet and the first of them (other than this one), or "completed"."""
    end = CourseEnd(course_url=course_url)
    if state is None:
        return end
    end.tracked = True
    if state.completed:
        end.completed = True
        end.dashboard_url = _reverse_or_blank("progress:dashboard")
        end.transcript_url = _reverse_or_blank("progress:transcript")
        return end
    states = state.states
    done = sum(1 for uid, value in states.items() if value == "completed" and uid in outline.positions)
    end.left = len(outline.activities) - done
    if end.left:
        end.left_text = ngettext("%(count)s activity left", "%(count)s activities left", end.left) % {"count": end.left}
        following = next(
            (a for a in outline.activities if a.uid != current_uid and states.get(a.uid) != "completed"), None
        )
        if following is not None:
            end.next = learning.outline_item(following, url=url_for(following.uid), states=states)
    return end


def _section_url_pattern(course: Course) -> str:
    """The address of a section's outline fragment (progress:outline-section) with a placeholder for the section's
    uid (player.js fills it in), or "" if that page does not exist."""
    try:
        return reverse("progress:outline-section", args=[course.pk, _PLACEHOLDER])
    except NoReverseMatch:
        return ""


def embed_allowlist(organization_id: int) -> frozenset[str]:
    """The hosts this organisation lets activities show in an iframe (CatalogSettings.embed_allowlist)."""
    settings_row = course_access.catalog_settings(organization_id)
    return frozenset(line.strip().lower() for line in settings_row.embed_allowlist.splitlines() if line.strip())


def _csp_update(response: HttpResponseBase, directives: Mapping[str, list[str]]) -> None:
    """Add sources for this one response (django-csp reads `_csp_update`), never to the site-wide policy."""
    if not directives:
        return
    update: dict[str, list[str]] = dict(getattr(response, "_csp_update", None) or {})
    for name, sources in directives.items():
        update[name] = list(dict.fromkeys([*update.get(name, []), *sources]))
    response._csp_update = update  # type: ignore[attr-defined]


def _render_player(
    request: HttpRequest,
    principal: Principal,
    *,
    course: Course,
    outline: learning.Outline,
    activity: Mapping[str, Any],
    version_id: int | None,
    preview: bool,
) -> tuple[HttpResponse, kinds.ActivityKind | None]:
    kind = _kind_of(activity)
    config = activity.get("config") or {}
    uid = str(activity["uid"])
    name = "catalog:activity-preview" if preview else "catalog:activity"
    context = kinds.LearnerContext(
        request=request,
        course=course,
        version_id=version_id,
        activity=activity,
        signal_url="" if preview else reverse("catalog:activity-signal", args=[course.pk, uid]),
        asset_url=_asset_urls(course, kind, config),
        embed_allowlist=embed_allowlist(course.organization_id),
        preview=preview,
        open_url="" if preview else reverse("catalog:activity-open", args=[course.pk, uid]),
    )
    body: SafeString = kind.render_learner(context) if kind is not None else mark_safe("")
    state = None if preview or version_id is None else learning.player_state(principal, course, version_id, uid)
    url_for = _url_template(name, course.pk)
    drawn = player_outline(outline, uid, url_for, states=state.states if state is not None else None)
    course_url = reverse("catalog:course-preview" if preview else "catalog:course", args=[course.pk])
    end = None if drawn.next is not None else course_end(outline, uid, url_for, state=state, course_url=course_url)
    response = render(
        request,
        "catalog/player/activity.html",
        {
            "course": course,
            "course_title": outline.title,
            "activity": activity,
            "kind": kind,
            "kind_unavailable": KIND_UNAVAILABLE if kind is None else "",
            "body": body,
            "outline": drawn,
            "section": drawn.section,
            "items": drawn.items,
            "previous": drawn.previous,
            "current": drawn.current,
            "next": drawn.next,
            "preview": preview,
            "state": state,
            "section_url": "" if preview else _section_url_pattern(course),
            "section_placeholder": str(_PLACEHOLDER),
            "course_url": course_url,
            "end": end,
        },
    )
    if kind is not None:
        _csp_update(response, kind.csp_for(config=config, context=context))
    return response, kind


@organization_view
@require_safe
def activity(request: HttpRequest, organization: Organization, principal: Principal, pk: int, uid: Any) -> HttpResponse:
    course, version = _learnable(principal, organization, pk)
    outline = learning.version_outline(version)
    entry = _version_activity_or_404(version, outline, uid)
    kind = _kind_of(entry)
    if request.method == "GET":
        # Reported before the page is drawn, so its outline and progress bar already count this visit (events are
        # dispatched at once outside a transaction).
        user: User = request.user  # type: ignore[assignment]
        emit(
            ActivityOpened(
                organization_id=course.organization_id,
                course_id=course.pk,
                version_id=version.pk,
                activity_uid=uuid.UUID(str(entry["uid"])),
                user_id=user.pk,
                at=timezone.now(),
            )
        )
        if kind is not None:
            for signal in kind.signals_on_open(entry.get("config") or {}):
                _emit(course, version.pk, entry, user, kinds.Emitted(signal))
    response, _kind = _render_player(
        request, principal, course=course, outline=outline, activity=entry, version_id=version.pk, preview=False
    )
    return response


@organization_view
@require_safe
def activity_preview(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, uid: Any
) -> HttpResponse:
    course = _course_or_404(organization, pk)
    if not course_access.can_see_draft(principal, course):
        raise Http404
    snapshot = versions.build_snapshot(course)
    entry = _activity_or_404(snapshot, uid)
    outline = learning.outline_from_snapshot(snapshot)
    response, _kind = _render_player(
        request, principal, course=course, outline=outline, activity=entry, version_id=None, preview=True
    )
    return response


# --- signals ---------------------------------------------------------------------------------------------------


def progress_answer(state: learning.PlayerState, uid: str) -> dict[str, Any]:
    """The learner's progress as the heartbeat answers it (progress.views_player.heartbeat), for the page to show
    without reloading: heartbeat.js's SyllabusProgress.show(answer) moves the progress bar and the activity's tick.
    """
    activity_state = state.states.get(uid) or "not_started"
    return {
        "activity": uid,
        "percent": state.percent,
        "percent_text": _("%(percent)s%% complete") % {"percent": state.percent},
        "completed": state.completed,
        "state": activity_state,
        "state_label": learning.state_label(activity_state),
        "state_icon": learning.STATE_ICONS.get(activity_state, ""),
    }


def _is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def _payload(request: HttpRequest) -> dict[str, Any]:
    if _is_json(request):
        if len(request.body) > MAX_SIGNAL_BYTES:
            raise ValidationError({"signal": BAD_JSON})
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError({"signal": BAD_JSON}) from None
        if not isinstance(data, dict):
            raise ValidationError({"signal": BAD_JSON})
        return data
    return {key: request.POST.get(key) for key in request.POST if key != "csrfmiddlewaretoken"}


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"signal": exc.messages}


@organization_view
@require_POST
def activity_signal(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, uid: Any
) -> HttpResponseBase:
    course, version = _learnable(principal, organization, pk)
    entry = _version_activity_or_404(version, learning.version_outline(version), uid)
    kind = _kind_of(entry)
    if kind is None:
        raise Http404
    user: User = request.user  # type: ignore[assignment]
    back = reverse("catalog:activity", args=[course.pk, entry["uid"]])
    context = kinds.SignalContext(request=request, course=course, version_id=version.pk, activity=entry, user=user)
    try:
        payload = _payload(request)
        with transaction.atomic():
            emitted = kind.accept_signal(payload=payload, context=context)
            for item in emitted:
                _emit(course, version.pk, entry, user, item)
    except ValidationError as exc:
        errors = _errors(exc)
        if _is_json(request):
            return JsonResponse({"errors": errors}, status=400)
        for field_messages in errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(back)
    if _is_json(request):
        # The events were dispatched as the block above committed: the learner's state already counts this signal.
        answer: dict[str, Any] = {"signals": [item.signal for item in emitted], **context.reply}
        if answer.get("accepted") is False:
            answer.setdefault("message", _(REPORT_NOT_ACCEPTED))
        state = learning.player_state(principal, course, version.pk, str(entry["uid"]))
        if state is not None:
            answer["progress"] = progress_answer(state, str(entry["uid"]))
        return JsonResponse(answer)
    messages.success(request, _(SIGNAL_RECORDED))
    return HttpResponseRedirect(back, status=303)


@organization_view
@require_safe
def activity_open(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, uid: Any
) -> HttpResponseBase:
    course, version = _learnable(principal, organization, pk)
    entry = _version_activity_or_404(version, learning.version_outline(version), uid)
    kind = _kind_of(entry)
    if kind is None:
        raise Http404
    config = entry.get("config") or {}
    context = kinds.LearnerContext(
        request=request,
        course=course,
        version_id=version.pk,
        activity=entry,
        signal_url="",
        asset_url=_asset_urls(course, kind, config),
    )
    target = kind.open_target(config=config, context=context)
    if not target:
        raise Http404
    if "opened" in kind.signals and request.method == "GET":
        _emit(course, version.pk, entry, request.user, kinds.Emitted("opened"))  # type: ignore[arg-type]
    return HttpResponseRedirect(target)


# --- files -----------------------------------------------------------------------------------------------------


def may_download(principal: Principal, course: Course, asset_id: int) -> bool:
    """The team sees every file of the course; learners the files of the version they learn only; whoever may see
    the course's page, its cover (shown on the catalog card and the page before anyone enrolls)."""
    if course_access.can_see_draft(principal, course):
        return True
    version_id = course_access.learning_version_id(principal, course)
    if version_id is not None:
        if course.published_version is not None and course.published_version.pk == version_id:
            asset_ids = course.published_version.asset_ids
        else:
            asset_ids = CourseVersion.objects.filter(pk=version_id).values_list("asset_ids", flat=True).first()
        if asset_id in {int(i) for i in asset_ids or []}:
            return True
    return course_access.may_see_cover(principal, course, asset_id)


def _byte_number(digits: str) -> int:
    """A byte position from the header; beyond any file's size when absurdly long (int() refuses > 4300 digits)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_RANGE_DIGITS else 10**MAX_RANGE_DIGITS


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single "bytes=" range; None to serve everything; False when unsatisfiable.

    Several ranges at once are answered with the whole file (allowed by RFC 9110), which is all players need.
    """
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = _byte_number(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = _byte_number(first)
    end = _byte_number(last) if last else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def _stream(handle: Any, start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _asset_headers(response: HttpResponseBase, asset: CourseAsset, *, download: bool, etag: str) -> None:
    content_type = asset.content_type or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response["Content-Type"] = content_type
    inline = bool(INLINE_TYPES.match(asset.content_type)) and not download
    response["Content-Disposition"] = content_disposition_header(not inline, asset.original_name or "file") or ""
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a file were opened as a page, it could run nothing and reach nothing.
    response["Content-Security-Policy"] = ASSET_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=3600"


@organization_view
@require_safe
def asset(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, asset_id: int, name: str
) -> HttpResponseBase:
    course = _course_or_404(organization, pk)
    found = CourseAsset.objects.filter(pk=asset_id, course=course).first()
    if found is None or not may_download(principal, course, found.pk):
        raise Http404
    download = request.GET.get("download") == "1"
    etag = f'"{found.sha256 or found.pk}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        not_modified = HttpResponse(status=304)
        _asset_headers(not_modified, found, download=download, etag=etag)
        del not_modified["Content-Type"]
        return not_modified
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    size = found.size or found.file.size
    wanted = parse_range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    response: HttpResponseBase
    if wanted is False:
        handle.close()
        response = HttpResponse(status=416)
        _asset_headers(response, found, download=download, etag=etag)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if isinstance(wanted, tuple):
        first, last = wanted
        response = StreamingHttpResponse(_stream(handle, first, last - first + 1), status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    else:
        response = FileResponse(handle)
        response["Content-Length"] = str(size)
    _asset_headers(response, found, download=download, etag=etag)
    return response


@organization_view
@require_POST
def richtext_upload(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> JsonResponse:
    """An image for the rich-text editor: stored as an asset of the course, answered with its URL (201)."""
    course = _course_or_404(organization, pk)
    if not course_access.can_see_draft(principal, course):
        raise Http404
    if not principal.can("course.edit", course):
        return JsonResponse({"error": NOT_ALLOWED}, status=403)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": NO_FILE}, status=400)
    user: User = request.user  # type: ignore[assignment]
    try:
        stored = services.course_asset_upload(course=course, by=user, upload=upload, purpose=CourseAsset.Purpose.IMAGE)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(
        {
            "id": stored.pk,
            "url": asset_url(course.pk, stored.pk, stored.original_name),
            "content_type": stored.content_type,
        },
        status=201,
    )
