"""The learners' pages: the catalog (search, filters, live results with htmx) and a course's page with its outline,
plus the course team's preview of the draft as learners would see it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access, learning, richtext, selectors, versions
from syllabus.catalog import selectors_browse as browse
from syllabus.catalog.models import CatalogEntry, Course, CourseVersion, Level

PAGE_SIZE = 20
View = Callable[..., HttpResponse]


def _is_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _reverse_or_blank(name: str, *args: Any) -> str:
    # Some pages of the catalog are built by other parts of the project; a missing one is simply not linked.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- the catalog ---------------------------------------------------------------------------------------------


class CatalogFilterForm(forms.Form):
    """The catalog's search and filters (GET). A value that is not on offer is ignored, as if not chosen."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.SearchInput)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    skill = forms.TypedChoiceField(label=_("Skill"), required=False, coerce=int, empty_value=None)
    language = forms.ChoiceField(label=_("Language"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    duration = forms.ChoiceField(label=_("Duration"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, data: Mapping[str, Any], facets: browse.Facets) -> None:
        super().__init__(data)
        fields = self.fields
        fields["category"].choices = [("", _("Any category")), *facets.categories]  # type: ignore[attr-defined]
        fields["skill"].choices = [  # type: ignore[attr-defined]
            ("", _("Any skill")),
            # Sub-skills indented (choosing a skill also finds courses tagged with the skills under it).
            *((pk, "\u2003" * depth + name) for pk, name, depth in facets.skills),
        ]
        fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("Any language")),
            *((code, browse.language_name(code)) for code in facets.languages),
        ]
        fields["level"].choices = [("", _("Any level")), *Level.choices]  # type: ignore[attr-defined]
        fields["duration"].choices = [  # type: ignore[attr-defined]
            ("", _("Any duration")),
            *((key, band.label) for key, band in browse.DURATION_BANDS.items()),
        ]
        # The default: best match while searching, else by title.
        fields["sort"].choices = [  # type: ignore[attr-defined]
            ("", _("Best match")),
            *((key, label) for key, label in browse.SORTS.items() if key != browse.SORT_RELEVANCE),
        ]

    def filters(self) -> browse.CatalogFilters:
        self.is_valid()
        data = self.cleaned_data  # only the fields that are valid
        return browse.CatalogFilters(
            q=data.get("q") or "",
            category_id=data.get("category"),
            skill_id=data.get("skill"),
            language=data.get("language") or "",
            level=data.get("level") or "",
            duration=data.get("duration") or "",
            sort=data.get("sort") or "",
        )


@dataclass(frozen=True)
class CourseCard:
    title: str
    summary: str
    url: str
    cover_url: str
    category: str
    level: str
    duration: str
    language: str
    skills: list[str]


def _cards(page: Page[CatalogEntry]) -> list[CourseCard]:
    entries = list(page.object_list)
    covers = browse.cover_asset_ids(entries)
    return [
        CourseCard(
            title=entry.title,
            summary=entry.summary,
            url=reverse("catalog:course", args=[entry.course_id]),
            cover_url=browse.asset_url(entry.course_id, covers.get(entry.pk)),
            category=entry.category.name if entry.category else "",
            level=browse.level_label(entry.level),
            duration=browse.duration_label(entry.duration_minutes),
            language=browse.language_name(entry.language),
            skills=[skill.name for skill in entry.skills.all()],
        )
        for entry in entries
    ]


@organization_view
@require_GET
def catalog_browse(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    facets = browse.catalog_facets(organization=organization, principal=principal)
    form = CatalogFilterForm(request.GET, facets)
    filters = form.filters()
    entries = browse.catalog_entries(organization=organization, principal=principal, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "cards": _cards(page),
        "total": page.paginator.count,
        "filtered": filters.is_filtered,
        "searching": bool(browse.search_words(filters.q)),
        "browse_url": reverse("catalog:browse"),
        "fragment": _is_fragment(request),
    }
    template = "catalog/browse/_results.html" if context["fragment"] else "catalog/browse/catalog.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- a course's page ------------------------------------------------------------------------------------------

# Sections per page of the course page's outline: an L course (500 sections) would otherwise draw them all.
SECTIONS_PER_PAGE = 25


@dataclass(frozen=True)
class OutlineActivity:
    title: str
    kind: str
    duration: str
    is_required: bool
    url: str
    state: str = ""  # the learner's, when tracked
    state_icon: str = ""
    state_label: str = ""


@dataclass
class OutlineSection:
    uid: str
    title: str
    summary: str
    count: int
    # Only the expanded section lists its activities; the others load theirs when opened (items_url).
    activities: list[OutlineActivity]
    count_text: str = ""  # "3 activities"
    progress_text: str = ""  # "1 of 3 completed", when tracked
    expanded: bool = False
    items_url: str = ""  # the htmx fragment (catalog:course-section)
    open_url: str = ""  # without JavaScript: this page with the section open
    state: str = ""  # the learner's, when they follow this version
    done: int = 0
    state_icon: str = ""
    state_label: str = ""


@dataclass
class CoursePage:
    course: Course
    preview: bool
    title: str
    summary: str
    description: SafeString
    cover_url: str
    category: str
    level: str
    language: str
    duration: str
    skills: list[str]
    tags: list[str]
    sections: list[OutlineSection]  # this page's
    activity_count: int = 0
    start_url: str = ""  # the first activity: where "Open the first activity" leads
    sections_page: Page[int] | None = None
    version_label: str = ""
    published_at: datetime | None = None
    edit_url: str = ""
    staff_links: list[tuple[str, str]] = field(default_factory=list)


def _activity_urls(preview: bool, course: Course, linked: bool) -> Callable[[str], str]:
    """activity uid -> its address in the player ("" when this person may not open it), reversing once."""
    if not linked:
        return lambda uid: ""
    placeholder = "00000000-0000-0000-0000-000000000000"
    base = _reverse_or_blank("catalog:activity-preview" if preview else "catalog:activity", course.pk, placeholder)
    return (lambda uid: base.replace(placeholder, uid)) if base else (lambda uid: "")


def _outline_activities(
    outline: learning.Outline, index: int, url_for: Callable[[str], str], states: Mapping[str, str] | None
) -> list[OutlineActivity]:
    activities = []
    for activity in outline.section_activities(index):
        state = (states.get(activity.uid) or "not_started") if states is not None else ""
        activities.append(
            OutlineActivity(
                title=activity.title,
                kind=learning.kind_label(activity.kind),
                duration=browse.duration_label(activity.duration_minutes),
                is_required=activity.is_required,
                url=url_for(activity.uid),
                state=state,
                state_icon=learning.STATE_ICONS.get(state, ""),
                state_label=learning.state_label(state),
            )
        )
    return activities


def _section_texts(count: int, done: int | None) -> tuple[str, str]:
    """("3 activities", "1 of 3 completed") for a section's summary; no progress text when not tracked."""
    counted = ngettext("%(count)s activity", "%(count)s activities", count) % {"count": count}
    if done is None:
        return counted, ""
    progress = ngettext("%(done)s of %(count)s completed", "%(done)s of %(count)s completed", count) % {
        "done": done,
        "count": count,
    }
    return counted, progress


def _sections_page(
    outline: learning.Outline, requested: str | None, *, open_section: str, current: int | None
) -> Page[int]:
    """The page of sections shown: the one asked for; else the one holding the section asked to open, or the
    section the learner is in; else the first."""
    paginator = Paginator(range(len(outline.sections)), SECTIONS_PER_PAGE)
    if requested:
        return paginator.get_page(requested)
    wanted = outline.section_positions.get(open_section, current)
    return paginator.get_page(wanted // SECTIONS_PER_PAGE + 1 if wanted is not None else 1)


def _course_page(
    course: Course,
    outline: learning.Outline,
    *,
    preview: bool,
    linked: bool = True,
    states: Mapping[str, str] | None = None,
    last_uid: str = "",
    page_number: str | None = None,
    open_section: str = "",
) -> CoursePage:
    """`linked`: the outline links to the activities (this person may open this version's activities); `states`:
    the learner's per activity (they follow this version), for each section's completion.

    Draws one page of sections (SECTIONS_PER_PAGE), each with its count and the learner's completion; only one
    lists its activities (the one asked for, else the one the learner is in, else the page's first). The others
    load theirs when opened (htmx; without JavaScript a link reopens this page with that section open). The team's
    preview of the draft opens every section of the page (a draft has no published sections to load from)."""
    meta = outline.meta
    category = meta.get("category") or {}
    url_for = _activity_urls(preview, course, linked)
    last = outline.find(last_uid) if last_uid else None
    current = last.section if last is not None else None
    sections_page = _sections_page(outline, page_number, open_section=open_section, current=current)
    indexes = list(sections_page.object_list)
    expanded = outline.section_positions.get(open_section)
    if expanded not in indexes:
        expanded = current if current in indexes else (indexes[0] if indexes else None)
    progress = outline.section_progress(states) if states is not None else None
    section_base = "" if preview else _reverse_or_blank("catalog:course-section", course.pk, uuid.UUID(int=0))
    course_url = reverse("catalog:course", args=[course.pk])
    sections = []
    texts: dict[tuple[int, int | None], tuple[str, str]] = {}  # translated once per distinct count
    for index in indexes:
        section = outline.sections[index]
        opened = preview or index == expanded
        state, done = progress[index] if progress is not None else ("", 0)
        key = (section.count, done if progress is not None else None)
        if key not in texts:
            texts[key] = _section_texts(section.count, key[1])
        sections.append(
            OutlineSection(
                uid=section.uid,
                title=section.title,
                summary=section.summary,
                count=section.count,
                activities=_outline_activities(outline, index, url_for, states) if opened else [],
                expanded=opened,
                items_url=section_base.replace(str(uuid.UUID(int=0)), section.uid) if section_base else "",
                open_url=f"{course_url}?{urlencode({'section': section.uid})}#section-{section.uid}",
                count_text=texts[key][0],
                progress_text=texts[key][1],
                state=state,
                done=done,
                state_icon=learning.STATE_ICONS.get(state, ""),
                state_label=learning.state_label(state),
            )
        )
    return CoursePage(
        course=course,
        preview=preview,
        title=str(meta.get("title", "")),
        summary=str(meta.get("summary") or ""),
        # Sanitised when the author saved it; again here, so a snapshot written by any other path cannot carry script.
        description=mark_safe(richtext.sanitize_html(str(meta.get("description") or ""), course_id=course.pk)),
        cover_url=browse.asset_url(course.pk, meta.get("cover_asset_id")),
        category=str(category.get("name", "")),
        level=browse.level_label(str(meta.get("level", ""))),
        language=browse.language_name(str(meta.get("language", ""))),
        duration=browse.duration_label(int(meta.get("duration_minutes") or 0)),
        skills=browse.snapshot_skill_names(meta),
        tags=[str(tag) for tag in meta.get("tags") or ()],
        sections=sections,
        activity_count=len(outline.activities),
        start_url=url_for(outline.activities[0].uid) if outline.activities else "",
        sections_page=sections_page,
    )


def _staff_links(principal: Principal, course: Course, page: CoursePage) -> None:
    if not course_access.can_see_draft(principal, course):
        return
    page.edit_url = _reverse_or_blank("catalog:course-edit", course.pk)
    if page.preview and course.published_version_id is not None and not course.is_archived:
        page.staff_links.append((str(_("Published version")), reverse("catalog:course", args=[course.pk])))
    elif not page.preview:
        page.staff_links.append((str(_("Preview the draft")), reverse("catalog:course-preview", args=[course.pk])))
    # The enrollment app's page (the catalog does not import it); that page checks who may see the participants.
    participants = _reverse_or_blank("enrollment:participants", course.pk)
    if participants:
        page.staff_links.append((str(_("Participants")), participants))


def _learner_view(
    principal: Principal, course: Course
) -> tuple[CourseVersion, learning.Outline, bool, learning.PlayerState | None]:
    """The published version, its outline, whether this person may open its activities (they are enrolled in this
    version, or on the team), and their state in it (None when not tracked)."""
    version = course.published_version
    assert version is not None
    # Activities open only to people enrolled in this version (or the team); others enroll from the panel first.
    linked = course_access.learning_version_id(principal, course) == version.pk
    state = learning.player_state(principal, course, version.pk, "") if linked else None
    return version, learning.version_outline(version), linked, state


@organization_view
@require_GET
def course_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = browse.course_for_learner_page(principal=principal, organization=organization, pk=pk)
    if course is None or course.published_version is None:
        raise Http404
    version, outline, linked, state = _learner_view(principal, course)
    page = _course_page(
        course,
        outline,
        preview=False,
        linked=linked,
        states=state.states if state is not None else None,
        last_uid=state.last_activity_uid if state is not None else "",
        page_number=request.GET.get("page"),
        open_section=request.GET.get("section", ""),
    )
    page.version_label, page.published_at = version.label, version.published_at
    _staff_links(principal, course, page)
    panel = learning.course_panel(request, principal, course)
    return render(request, "catalog/browse/course.html", {"page": page, "panel": panel})


@organization_view
@require_GET
def course_section(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int, section: uuid.UUID
) -> HttpResponse:
    """One section of the course page's outline, loaded when the learner opens it (htmx); without htmx, the
    course page with that section open."""
    course = browse.course_for_learner_page(principal=principal, organization=organization, pk=pk)
    if course is None or course.published_version is None:
        raise Http404
    index = learning.version_outline(course.published_version).section_positions.get(str(section))
    if index is None:
        raise Http404
    if not _is_fragment(request):
        target = f"{reverse('catalog:course', args=[course.pk])}?{urlencode({'section': str(section)})}"
        return redirect(f"{target}#section-{section}")
    _version, outline, linked, state = _learner_view(principal, course)
    activities = _outline_activities(
        outline,
        index,
        _activity_urls(False, course, linked),
        state.states if state is not None else None,
    )
    found = outline.sections[index]
    response = render(
        request,
        "catalog/browse/_section.html",
        {"section": OutlineSection(found.uid, found.title, found.summary, found.count, activities, expanded=True)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@organization_view
@require_GET
def course_preview(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = selectors.course_get_for_staff(principal=principal, organization=organization, pk=pk)
    if course is None:
        raise Http404
    outline = learning.outline_from_snapshot(versions.build_snapshot(course))
    page = _course_page(course, outline, preview=True, page_number=request.GET.get("page"))
    _staff_links(principal, course, page)
    return render(request, "catalog/browse/course.html", {"page": page})
