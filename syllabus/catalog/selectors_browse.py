"""Reads for the learners' catalog and course pages.

The catalog reads only `CatalogEntry` rows (the searchable copy of each listed course's published version), scoped
to the organisation and to what the person may see (`course_access.learner_visible_q`); the course page reads the
published version's snapshot (or, for the course team's preview, the draft's). Constant query counts: a page of
results costs the same whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization
from syllabus.catalog import course_access, search
from syllabus.catalog.models import CatalogEntry, Category, Course, CourseVersion, Level
from syllabus.skills.models import Skill

SORT_RELEVANCE = "relevance"
SORT_TITLE = "title"
SORT_NEWEST = "newest"
SORTS = {
    SORT_RELEVANCE: _("Best match"),
    SORT_TITLE: _("Title"),
    SORT_NEWEST: _("Newest"),
}


@dataclass(frozen=True)
class DurationBand:
    label: Any
    low: int  # minutes, inclusive
    high: int | None  # minutes, inclusive; None: no upper bound


# A course of 0 minutes has no estimate: it falls in no band.
DURATION_BANDS: dict[str, DurationBand] = {
    "short": DurationBand(_("Under 15 minutes"), 1, 14),
    "medium": DurationBand(_("15 minutes to 1 hour"), 15, 60),
    "long": DurationBand(_("1 to 3 hours"), 61, 180),
    "extended": DurationBand(_("More than 3 hours"), 181, None),
}


@dataclass(frozen=True)
class CatalogFilters:
    q: str = ""
    category_id: int | None = None
    skill_id: int | None = None
    language: str = ""
    level: str = ""
    duration: str = ""
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        """Best match while searching, else the chosen order (title by default)."""
        if self.sort in (SORT_TITLE, SORT_NEWEST):
            return self.sort
        return SORT_RELEVANCE if search_words(self.q) else SORT_TITLE

    @property
    def is_filtered(self) -> bool:
        return bool(
            search_words(self.q) or self.category_id or self.skill_id or self.language or self.level or self.duration
        )


def search_words(query: str) -> list[str]:
    from syllabus.catalog.search.query import terms

    return terms(query)


def visible_entries(*, organization: Organization, principal: Principal) -> QuerySet[CatalogEntry]:
    """Every catalog entry this person may find: the organisation's, shown to everyone or to an audience of theirs."""
    return CatalogEntry.objects.filter(organization=organization).filter(course_access.learner_visible_q(principal))


def catalog_entries(
    *, organization: Organization, principal: Principal, filters: CatalogFilters
) -> QuerySet[CatalogEntry]:
    """The catalog page's results: visible entries, filtered, searched and ordered, with what a card shows."""
    entries = visible_entries(organization=organization, principal=principal)
    if filters.category_id:
        entries = entries.filter(category_id=filters.category_id)
    if filters.skill_id:
        # The skill and every skill under it in the framework (paths are "/12/40/": one LIKE on an index).
        path = (
            Skill.objects.filter(organization=organization, pk=filters.skill_id).values_list("path", flat=True).first()
        )
        under = Q(skill_id=filters.skill_id)
        if path:
            under |= Q(skill__path__startswith=path)
        tagged = CatalogEntry.skills.through.objects.filter(under, catalogentry_id=OuterRef("pk"))
        entries = entries.filter(Exists(tagged))
    if filters.language:
        entries = entries.filter(language=filters.language)
    if filters.level:
        entries = entries.filter(level=filters.level)
    band = DURATION_BANDS.get(filters.duration)
    if band is not None:
        entries = entries.filter(duration_minutes__gte=band.low)
        if band.high is not None:
            entries = entries.filter(duration_minutes__lte=band.high)
    sort = filters.effective_sort
    if sort == SORT_RELEVANCE:
        entries = search.search(entries, filters.q)  # ordered best first
    else:
        entries = search.matching(entries, filters.q)
        entries = entries.order_by("title", "pk") if sort == SORT_TITLE else entries.order_by("-published_at", "pk")
    # Never the document: it is the bulk of each row, and sorting would carry it for every match.
    return (
        entries.defer("document")
        .select_related("category")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.only("pk", "name").order_by("name")))
    )


def course_for_learner_page(*, principal: Principal, organization: Organization, pk: int) -> Course | None:
    """The course if this person may open its page (as selectors.course_get_for_learner), without the published
    snapshot: the page reads its outline from the per-version cache (catalog.learning.version_outline), and the
    snapshot of a large course is ~600 KB of JSON to fetch and parse."""
    course = (
        Course.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "published_version")
        .defer("published_version__snapshot")
        .first()
    )
    if course is None or not course_access.can_learn(principal, course):
        return None
    return course


@dataclass(frozen=True)
class Facets:
    categories: list[tuple[int, str]]
    skills: list[tuple[int, str, int]]  # id, name, depth in the framework tree
    languages: list[str]


def catalog_facets(*, organization: Organization, principal: Principal) -> Facets:
    """What the filters offer: the organisation's categories and skills, and the languages of visible courses."""
    categories = list(Category.objects.filter(organization=organization).values_list("pk", "name"))
    skills = [
        (pk, name, max(0, path.count("/") - 2))
        for pk, name, path in Skill.objects.filter(organization=organization, is_active=True)
        .order_by("path", "name")
        .values_list("pk", "name", "path")
    ]
    languages = list(
        visible_entries(organization=organization, principal=principal)
        .order_by("language")
        .values_list("language", flat=True)
        .distinct()
    )
    return Facets(categories=categories, skills=skills, languages=languages)


def cover_asset_ids(entries: Sequence[CatalogEntry]) -> dict[int, int]:
    """Entry id -> the cover asset id of its published version, for a page of entries, in one query."""
    if not entries:
        return {}
    by_version = dict(
        CourseVersion.objects.filter(pk__in={entry.version_id for entry in entries})
        .annotate(cover=KT("snapshot__cover_asset_id"))
        .values_list("pk", "cover")
    )
    covers: dict[int, int] = {}
    for entry in entries:
        cover = by_version.get(entry.version_id)
        # SQLite answers an int, PostgreSQL text (->>); a missing key or JSON null is NULL on both.
        if cover is not None and str(cover).isdigit():
            covers[entry.pk] = int(cover)
    return covers


# --- presentation helpers shared by the catalog and the course page ---------------------------------------------


def asset_url(course_id: int, asset_id: int | None) -> str:
    """The URL of a course's cover image ("" when none, or until the asset view exists)."""
    if not asset_id:
        return ""
    try:
        return reverse("catalog:asset", args=[course_id, asset_id, "cover"])
    except NoReverseMatch:
        return ""


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code.lower())["name_translated"])
    except KeyError:
        return code


def level_label(level: str) -> str:
    return str(dict(Level.choices).get(level, level))


def duration_label(minutes: int) -> str:
    """'45 min', '2 h', '1 h 30 min'; '' when there is no estimate."""
    if minutes <= 0:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return str(_("%(minutes)s min") % {"minutes": rest})
    if not rest:
        return str(_("%(hours)s h") % {"hours": hours})
    return str(_("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest})


def snapshot_skill_names(snapshot: Mapping[str, Any]) -> list[str]:
    return [str(skill.get("name", "")) for skill in snapshot.get("skills") or ()]
