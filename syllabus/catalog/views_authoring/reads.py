"""Small reads the authoring pages need beyond catalog.selectors (choices for forms, the outline with its
activities, read-only facts), each a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import global_settings
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from syllabus.accounts.models import Organization
from syllabus.audiences import selectors as audience_selectors
from syllabus.audiences.models import Audience
from syllabus.catalog.activity_kinds import base as kinds
from syllabus.catalog.models import (
    Activity,
    Category,
    Course,
    CourseStaff,
    CourseVersion,
    Level,
    Section,
    Tag,
    Visibility,
)
from syllabus.skills import selectors as skill_selectors


def categories(organization: Organization) -> QuerySet[Category]:
    return Category.objects.filter(organization=organization).order_by("position", "name")


def categories_with_use(organization: Organization) -> QuerySet[Category]:
    """The categories with `course_count`: how many courses (drafts and archived ones too) are filed under each."""
    return categories(organization).annotate(course_count=Count("courses"))


def audiences(organization: Organization) -> QuerySet[Audience]:
    return audience_selectors.audience_list(organization=organization)


def skill_choices(organization: Organization, include: Iterable[int] = ()) -> list[tuple[int, str]]:
    """The skills to pick from; `include` keeps the retired skills an item is still tagged with."""
    return list(skill_selectors.skill_choices(organization, include=include))


def tag_names(organization: Organization) -> list[str]:
    return list(Tag.objects.filter(organization=organization).order_by("name").values_list("name", flat=True)[:500])


def role_label(role: str | None) -> str:
    if not role:
        return ""
    return str(CourseStaff.Role(role).label)


def kind_label(key: str) -> str:
    return str(kinds.get(key).label) if kinds.is_registered(key) else key


def rule_label(kind_key: str, completion: dict[str, Any]) -> str:
    """ "Viewed", "Watched 90%": how the activity counts as complete, in words."""
    rule_key = (completion or {}).get("rule", "")
    if not rule_key or not kinds.is_registered(kind_key):
        return ""
    for rule in kinds.get(kind_key).completion_rules:
        if rule.key == rule_key:
            params = [
                f"{completion[name]}%" if name == "percent" else f"{name} {completion[name]}"
                for name in rule.parameters
                if name in completion
            ]
            return f"{rule.label} ({', '.join(params)})" if params else str(rule.label)
    return str(rule_key)


def language_name(code: str) -> str:
    return str(dict(global_settings.LANGUAGES).get(code, code))


@dataclass
class Fact:
    label: str
    value: str
    html: bool = False


def course_facts(course: Course) -> list[Fact]:
    """The course's details as label/value pairs, for people who may read but not change them."""
    audience = course.audience.name if course.audience_id and course.audience else ""
    visibility = str(Visibility(course.visibility).label)
    return [
        Fact(_("Title"), course.title),
        Fact(_("Summary"), course.summary or "—"),
        Fact(_("Description"), course.description or "—", html=bool(course.description)),
        Fact(_("Category"), course.category.name if course.category else "—"),
        Fact(_("Tags"), ", ".join(tag.name for tag in course.tags.all()) or "—"),
        Fact(_("Skills"), ", ".join(skill.name for skill in course.skills.all()) or "—"),
        Fact(_("Language"), language_name(course.language)),
        Fact(_("Level"), str(Level(course.level).label) if course.level in Level.values else course.level),
        Fact(
            _("Estimated duration"),
            _("%(minutes)s minutes") % {"minutes": course.duration_minutes} if course.duration_minutes else "—",
        ),
        Fact(_("Visible to"), f"{visibility}: {audience}" if audience else visibility),
    ]


# --- the outline -------------------------------------------------------------------------------------------------


@dataclass
class OutlineActivity:
    activity: Activity
    position: int  # 1-based within its section
    count: int
    kind_label: str
    rule_label: str


@dataclass
class OutlineSection:
    section: Section
    position: int  # 1-based
    count: int
    activities: list[OutlineActivity] = field(default_factory=list)


def outline(course: Course) -> list[OutlineSection]:
    """The draft's sections with their activities in order: two queries whatever the size of the course."""
    sections = list(
        Section.objects.filter(course=course)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("activities", queryset=Activity.objects.order_by("position", "pk")))
    )
    out = []
    for s_index, section in enumerate(sections, start=1):
        acts = list(section.activities.all())
        out.append(
            OutlineSection(
                section=section,
                position=s_index,
                count=len(sections),
                activities=[
                    OutlineActivity(
                        activity=activity,
                        position=a_index,
                        count=len(acts),
                        kind_label=kind_label(activity.kind),
                        rule_label=rule_label(activity.kind, activity.completion),
                    )
                    for a_index, activity in enumerate(acts, start=1)
                ],
            )
        )
    return out


def latest_version(course: Course) -> CourseVersion | None:
    """The course's highest version number (what the next one counts from), without its snapshot."""
    return CourseVersion.objects.filter(course=course).order_by("-major", "-minor").only("pk", "major", "minor").first()


def section_of(course: Course, pk: int) -> Section | None:
    return Section.objects.filter(course=course, pk=pk).select_related("course", "course__organization").first()


def activity_of(course: Course, pk: int) -> Activity | None:
    return (
        Activity.objects.filter(course=course, pk=pk)
        .select_related("section", "course", "course__organization")
        .prefetch_related("skills")
        .first()
    )
