"""The learners' pages: the catalog (search, filters, live results with htmx) and a course's page with its outline,
plus the course team's preview of the draft as learners would see it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from syllabus.access.policy import Principal, principal_for
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access, richtext, selectors, versions
from syllabus.catalog import selectors_browse as browse
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import CatalogEntry, Course, Level
from syllabus.core.tenancy import current_organization

PAGE_SIZE = 20
View = Callable[..., HttpResponse]


def organization_view(view: View) -> View:
    """Signed in and acting in an organisation (else choose one first); passes it and the principal on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = current_organization(request)
        if organization is None:
            return redirect(f"{reverse('accounts:choose-organization')}?{urlencode({'next': request.path})}")
        return view(request, organization, principal_for(request.user, organization), *args, **kwargs)

    return wrapper


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


@dataclass(frozen=True)
class OutlineActivity:
    title: str
    kind: str
    duration: str
    is_required: bool
    url: str


@dataclass(frozen=True)
class OutlineSection:
    title: str
    summary: str
    activities: list[OutlineActivity]


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
    sections: list[OutlineSection]
    version_label: str = ""
    published_at: datetime | None = None
    edit_url: str = ""
    staff_links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def activity_count(self) -> int:
        return sum(len(section.activities) for section in self.sections)

    @property
    def start_url(self) -> str:
        """The first activity of the outline: where "Open the first activity" leads."""
        return next((activity.url for section in self.sections for activity in section.activities), "")


def _kind_label(kind: str) -> str:
    return str(kinds.get(kind).label) if kinds.is_registered(kind) else kind


def _course_page(course: Course, snapshot: Mapping[str, Any], *, preview: bool) -> CoursePage:
    activity_view = "catalog:activity-preview" if preview else "catalog:activity"
    category = snapshot.get("category") or {}
    return CoursePage(
        course=course,
        preview=preview,
        title=str(snapshot.get("title", "")),
        summary=str(snapshot.get("summary") or ""),
        # Sanitised when the author saved it; again here, so a snapshot written by any other path cannot carry script.
        description=mark_safe(richtext.sanitize_html(str(snapshot.get("description") or ""), course_id=course.pk)),
        cover_url=browse.asset_url(course.pk, snapshot.get("cover_asset_id")),
        category=str(category.get("name", "")),
        level=browse.level_label(str(snapshot.get("level", ""))),
        language=browse.language_name(str(snapshot.get("language", ""))),
        duration=browse.duration_label(int(snapshot.get("duration_minutes") or 0)),
        skills=browse.snapshot_skill_names(snapshot),
        tags=[str(tag) for tag in snapshot.get("tags") or ()],
        sections=[
            OutlineSection(
                title=str(section.get("title", "")),
                summary=str(section.get("summary") or ""),
                activities=[
                    OutlineActivity(
                        title=str(activity.get("title", "")),
                        kind=_kind_label(str(activity.get("kind", ""))),
                        duration=browse.duration_label(int(activity.get("duration_minutes") or 0)),
                        is_required=bool(activity.get("is_required", True)),
                        url=_reverse_or_blank(activity_view, course.pk, activity["uid"]),
                    )
                    for activity in section.get("activities") or ()
                ],
            )
            for section in snapshot.get("sections") or ()
        ],
    )


def _staff_links(principal: Principal, course: Course, page: CoursePage) -> None:
    if not course_access.can_see_draft(principal, course):
        return
    page.edit_url = _reverse_or_blank("catalog:course-edit", course.pk)
    if page.preview and course.published_version_id is not None and not course.is_archived:
        page.staff_links.append((str(_("Published version")), reverse("catalog:course", args=[course.pk])))
    elif not page.preview:
        page.staff_links.append((str(_("Preview the draft")), reverse("catalog:course-preview", args=[course.pk])))


@organization_view
@require_GET
def course_detail(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = selectors.course_get_for_learner(principal=principal, organization=organization, pk=pk)
    if course is None or course.published_version is None:
        raise Http404
    version = course.published_version
    page = _course_page(course, version.snapshot, preview=False)
    page.version_label, page.published_at = version.label, version.published_at
    _staff_links(principal, course, page)
    return render(request, "catalog/browse/course.html", {"page": page})


@organization_view
@require_GET
def course_preview(request: HttpRequest, organization: Organization, principal: Principal, pk: int) -> HttpResponse:
    course = selectors.course_get_for_staff(principal=principal, organization=organization, pk=pk)
    if course is None:
        raise Http404
    page = _course_page(course, versions.build_snapshot(course), preview=True)
    _staff_links(principal, course, page)
    return render(request, "catalog/browse/course.html", {"page": page})
