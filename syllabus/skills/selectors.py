"""Reads of the skills framework for pages, the API and other apps, each with a constant number of queries.

Other apps tag rows with skills and read the framework through here:
- `skill_choices(organization)` — the active skills as (id, indented label), for a select widget;
- `skill_subtree_ids(skill=...)` — the skill and everything below it, as a subquery ("courses about Patient
  safety" includes those about Hand hygiene);
- `skill_get`, `skill_tree`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from syllabus.accounts.models import Organization
from syllabus.skills import framework_csv
from syllabus.skills.models import ProficiencyScale, Skill

INDENT = "\u00a0\u00a0\u00a0"  # no-break spaces: a select shows them, where it would collapse ordinary ones

T = TypeVar("T")


@dataclass
class SkillNode:
    skill: Skill
    children: list[SkillNode] = field(default_factory=list)
    # False for a skill shown only because something below it matched the search.
    matched: bool = True


def _tree_order(
    items: Iterable[T], *, pk: Callable[[T], int], parent: Callable[[T], int | None], name: Callable[[T], str]
) -> list[tuple[T, int]]:
    """Items in tree order (each parent before its children, siblings by name) with their depth from the top.

    An item whose parent is not among `items` is treated as a top-level one, so a filtered set still shows.
    """
    listed = list(items)
    ids = {pk(item) for item in listed}
    children: dict[int | None, list[T]] = {}
    for item in listed:
        key = parent(item)
        children.setdefault(key if key in ids else None, []).append(item)
    for siblings in children.values():
        siblings.sort(key=lambda item: (name(item).casefold(), pk(item)))
    ordered: list[tuple[T, int]] = []
    stack: list[tuple[T, int]] = [(item, 0) for item in reversed(children.get(None, []))]
    while stack:
        item, depth = stack.pop()
        ordered.append((item, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk(item), [])))
    return ordered


def skill_tree(organization: Organization, *, search: str = "", include_inactive: bool = True) -> list[SkillNode]:
    """The framework as nested nodes (siblings by name), in one query.

    `search` keeps the skills whose name, code or description contains it, with their ancestors for context
    (marked `matched=False`). Without `include_inactive`, deactivated skills and everything under them are left out.
    """
    skills = list(Skill.objects.for_organization(organization).select_related("scale").order_by("path"))
    by_id = {skill.pk: skill for skill in skills}
    if not include_inactive:
        skills = [
            skill
            for skill in skills
            if skill.is_active and all(by_id[pk].is_active for pk in skill.ancestor_ids if pk in by_id)
        ]
    matched: set[int] | None = None
    if search.strip():
        needle = search.strip().casefold()
        matched = {
            skill.pk
            for skill in skills
            if needle in skill.name.casefold() or needle in skill.code or needle in skill.description.casefold()
        }
        keep = set(matched)
        for skill in skills:
            if skill.pk in matched:
                keep.update(skill.ancestor_ids)
        skills = [skill for skill in skills if skill.pk in keep]
    nodes = {skill.pk: SkillNode(skill, matched=matched is None or skill.pk in matched) for skill in skills}
    roots: list[SkillNode] = []
    for skill, _depth in _tree_order(skills, pk=_pk, parent=_parent, name=_name):
        node = nodes[skill.pk]
        parent = nodes.get(skill.parent_id) if skill.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def _pk(skill: Skill) -> int:
    return skill.pk


def _parent(skill: Skill) -> int | None:
    return skill.parent_id


def _name(skill: Skill) -> str:
    return skill.name


def skill_choices(organization: Organization, *, include: Iterable[int] = ()) -> list[tuple[int, str]]:
    """The active skills as (id, label) in tree order, the label indented by depth, for select widgets.

    `include` adds deactivated skills a form already holds (a course tagged before the skill was retired keeps
    its tag when saved); they are labelled as deactivated.
    """
    keep = set(include)
    rows = list(
        Skill.objects.for_organization(organization)
        .filter(Q(is_active=True) | Q(pk__in=keep))
        .order_by("path")
        .values_list("pk", "parent_id", "name", "is_active")
    )
    ordered = _tree_order(rows, pk=lambda row: row[0], parent=lambda row: row[1], name=lambda row: row[2])
    choices = []
    for (pk, _parent_id, name, is_active), depth in ordered:
        label = name if is_active else _("%(name)s (deactivated)") % {"name": name}
        choices.append((pk, INDENT * depth + label))
    return choices


def skill_get(*, organization: Organization, skill_id: int) -> Skill | None:
    """One skill of the organisation (another organisation's id: None), with its scale and parent."""
    return (
        Skill.objects.for_organization(organization)
        .select_related("scale", "parent", "organization")
        .filter(pk=skill_id)
        .first()
    )


def skill_subtree_ids(*, skill: Skill, active_only: bool = False) -> QuerySet[Skill, int]:
    """Ids of the skill and every skill below it, as a subquery (`Course.objects.filter(skills__in=...)`)."""
    qs = Skill.objects.filter(Skill.subtree_q(skill.path), organization_id=skill.organization_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.values_list("pk", flat=True)


def skill_list(
    *,
    organization: Organization,
    parent: Skill | None = None,
    subtree_of: Skill | None = None,
    search: str = "",
    active: bool | None = None,
) -> QuerySet[Skill]:
    """Skills for the API list, in tree order (path), with their scale."""
    qs = Skill.objects.for_organization(organization).select_related("scale")
    if parent is not None:
        qs = qs.filter(parent=parent)
    if subtree_of is not None:
        qs = qs.filter(Skill.subtree_q(subtree_of.path))
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term) | Q(description__icontains=term))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("path", "pk")


def skill_ancestors(*, skill: Skill) -> list[Skill]:
    """The skills above this one, from the top down (for breadcrumbs), in one query."""
    ids = skill.ancestor_ids
    if not ids:
        return []
    found = Skill.objects.filter(pk__in=ids, organization_id=skill.organization_id).in_bulk()
    return [found[pk] for pk in ids if pk in found]


def skill_children(*, skill: Skill) -> list[Skill]:
    children = list(Skill.objects.filter(parent=skill).select_related("scale"))
    children.sort(key=lambda child: (child.name.casefold(), child.pk))
    return children


# --- what uses a skill -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A table that points at skills: a many-to-many's link table or a model with a foreign key to Skill."""

    table: type[models.Model]
    column: str  # the table's field that points at the skill
    one: str  # what one referring row is called ("course")
    many: str  # and several ("courses")


def references() -> list[Reference]:
    """Every reference to Skill from another model, found from the model registry.

    The catalog's courses and activities, the search entries and later questions tag skills: reading the registry
    keeps `skills` from importing those apps (they depend on it, not the other way round) and counts references
    added later without a change here.
    """
    found: list[Reference] = []
    through_tables: set[type[models.Model]] = set()
    relations = [
        rel
        for rel in Skill._meta.get_fields(include_hidden=True)
        if rel.is_relation and rel.auto_created and not rel.concrete and rel.related_model is not Skill
    ]
    for rel in relations:
        if rel.many_to_many:
            m2m: Any = rel.field  # type: ignore[union-attr]
            owner: Any = rel.related_model
            through = m2m.remote_field.through
            through_tables.add(through)
            meta = owner._meta
            found.append(
                Reference(through, m2m.m2m_reverse_field_name(), str(meta.verbose_name), str(meta.verbose_name_plural))
            )
    for rel in relations:
        owner = rel.related_model
        if rel.many_to_many or owner in through_tables:
            continue
        meta = owner._meta
        found.append(Reference(owner, rel.field.name, str(meta.verbose_name), str(meta.verbose_name_plural)))  # type: ignore[union-attr]
    return found


@dataclass(frozen=True)
class Usage:
    count: int
    one: str
    many: str

    def __str__(self) -> str:
        return f"{self.count} {self.one if self.count == 1 else self.many}"


def skill_usage(*, skill: Skill) -> list[Usage]:
    """What tags the skill (courses, activities, …), one COUNT per referring table; empty when nothing does."""
    usage = []
    for ref in references():
        count = ref.table._default_manager.filter(**{ref.column: skill}).count()
        if count:
            usage.append(Usage(count, ref.one, ref.many))
    return usage


def describe_usage(usage: list[Usage]) -> str:
    """ "3 courses and 1 activity" """
    parts = [str(item) for item in usage]
    if len(parts) <= 1:
        return "".join(parts)
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


# --- proficiency scales ------------------------------------------------------------------------------------


def scale_list(*, organization: Organization) -> QuerySet[ProficiencyScale]:
    """The organisation's scales by name, with their levels (one prefetch) and how many skills use each."""
    return (
        ProficiencyScale.objects.for_organization(organization)
        .annotate(skill_count=Count("skills"))
        .prefetch_related("levels")
        .order_by("name", "pk")
    )


def scale_get(*, organization: Organization, scale_id: int) -> ProficiencyScale | None:
    return (
        ProficiencyScale.objects.for_organization(organization)
        .annotate(skill_count=Count("skills"))
        .prefetch_related("levels")
        .select_related("organization")
        .filter(pk=scale_id)
        .first()
    )


def has_scales(*, organization: Organization) -> bool:
    return ProficiencyScale.objects.for_organization(organization).exists()


# --- export ------------------------------------------------------------------------------------------------


def framework_export(*, organization: Organization) -> str:
    """The active framework as CSV text in the import's format (parents before children), in one query."""
    rows = (
        Skill.objects.for_organization(organization)
        .filter(is_active=True)
        .values_list("path", "code", "name", "parent__code", "description", "scale__name")
    )
    # Tree order by the numeric ids along the path: ordering by the path's text would put "/100/" before "/99/".
    ordered = sorted(rows, key=lambda row: [int(part) for part in row[0].strip("/").split("/") if part])
    return framework_csv.write(
        (code, name, parent or "", description, scale or "")
        for _path, code, name, parent, description, scale in ordered
    )
