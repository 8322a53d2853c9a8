"""Every write to the skills framework: skills (create, change, move, deactivate, reactivate, delete), proficiency
scales, and the CSV import.

Each service checks `skill.manage` organisation-wide (the capability has no narrower scope), runs in one
transaction with its audit record, and emits its event after commit. The tree keeps two invariants that the
pages, the API and the import all rely on:
- `path` is "/<ancestor ids>/<own id>/" — a move rewrites the whole subtree's paths in one UPDATE;
- an active skill never sits under a deactivated one — deactivating takes the subtree with it, reactivating
  needs an active parent, and nothing active moves under a deactivated skill.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, Substr

from syllabus.access import policy
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record, audit_record_bulk
from syllabus.core import clock
from syllabus.core.events import emit
from syllabus.skills import events, imports, selectors
from syllabus.skills import framework_csv as fcsv
from syllabus.skills.imports import MAX_DEPTH, ImportPlan
from syllabus.skills.models import ProficiencyLevel, ProficiencyScale, Skill

MANAGE = "skill.manage"

CODE_REQUIRED = "Give the skill a code (letters, digits, hyphens and underscores), e.g. hand-hygiene."
CODE_INVALID = "Use only letters, digits, hyphens and underscores in a code."
CODE_TOO_LONG = "A code has at most 80 characters."
CODE_TAKEN = "Another skill of this organisation already has this code."
NAME_REQUIRED = "Give the skill a name."
NAME_TOO_LONG = "A name has at most 200 characters."
NO_SUCH_SKILL = "No such skill in this organisation."
NO_SUCH_SCALE = "No such proficiency scale in this organisation."
PARENT_CYCLE = "A skill cannot move under itself or one of its own sub-skills."
PARENT_INACTIVE = "The parent skill is deactivated: reactivate it first, or choose another parent."
TOO_DEEP = f"The framework is at most {MAX_DEPTH} levels deep: choose a parent higher up."
HAS_CHILDREN = "This skill has {count} sub-skills: move or delete them first."
IN_USE = "This skill tags {uses}: deactivate it instead, so they keep their tags and history."
STILL_UNDER_INACTIVE = "Its parent skill “{name}” is deactivated: reactivate that one first."
SCALE_NAME_REQUIRED = "Give the scale a name."
SCALE_NAME_TOO_LONG = "A scale name has at most 120 characters."
SCALE_NAME_TAKEN = "Another proficiency scale of this organisation already has this name."
LEVELS_TOO_FEW = "A scale needs at least {minimum} levels."
LEVELS_TOO_MANY = "A scale has at most {maximum} levels."
LEVEL_NAME_REQUIRED = "Give this level a name."
LEVEL_NAME_TOO_LONG = "A level name has at most 80 characters."
LEVEL_NAME_DUPLICATE = "Two levels have this name."
SCALE_IN_USE = "The scale “{name}” is used by {count} skills ({examples}): give them another scale first."
IMPORT_INVALID = "The file has problems: nothing was imported."
PLAN_CHANGED = (
    "The framework changed since the preview, so the import would now do something else: check the new preview "
    "and apply again."
)

MIN_LEVELS = 2
MAX_LEVELS = 10
CODE_PATTERN = re.compile(r"^[a-z0-9_-]+$")
BATCH = 500


@dataclass(frozen=True)
class LevelInput:
    """One level of a scale as given by a person; its value is its position (1 for the first)."""

    name: str
    descriptor: str = ""


DEFAULT_SCALE_NAME = "1–5"
DEFAULT_SCALE_DESCRIPTION = "Five levels, from knowing that the skill exists to being the person others learn it from."
DEFAULT_LEVELS = (
    LevelInput(
        "Awareness",
        "Knows what the skill is and why it matters. Recognises it in other people's work and follows basic "
        "instructions under close supervision.",
    ),
    LevelInput(
        "Working knowledge",
        "Applies the skill to routine tasks with guidance. Knows the main procedures and when to ask for help.",
    ),
    LevelInput(
        "Practitioner",
        "Applies the skill independently and reliably in everyday work, and adapts standard approaches to the "
        "situation at hand.",
    ),
    LevelInput(
        "Advanced",
        "Handles complex and unusual situations, anticipates problems, and guides and checks the work of others.",
    ),
    LevelInput(
        "Expert",
        "A recognised reference inside and outside the team: shapes practice and policy, teaches the skill and "
        "improves how the organisation uses it.",
    ),
)


def _actor_id(by: User | None) -> int | None:
    return by.pk if by is not None and by.is_authenticated else None


def _require(by: User | None, organization: Organization) -> None:
    # None is the system (seed_demo, commands): it needs no grant.
    if by is not None:
        policy.require(by, MANAGE, organization)


# --- skills ----------------------------------------------------------------------------------------------------


def _clean_code(code: str, errors: dict[str, list[str]]) -> str:
    code = code.strip().lower()
    if not code:
        errors.setdefault("code", []).append(CODE_REQUIRED)
    elif len(code) > imports.CODE_MAX:
        errors.setdefault("code", []).append(CODE_TOO_LONG)
    elif not CODE_PATTERN.match(code):
        errors.setdefault("code", []).append(CODE_INVALID)
    return code


def _clean_name(name: str, errors: dict[str, list[str]]) -> str:
    name = " ".join(name.split())
    if not name:
        errors.setdefault("name", []).append(NAME_REQUIRED)
    elif len(name) > imports.NAME_MAX:
        errors.setdefault("name", []).append(NAME_TOO_LONG)
    return name


def _check_code_free(organization: Organization, code: str, errors: dict[str, list[str]], pk: int | None) -> None:
    if (
        "code" not in errors
        and Skill.objects.filter(organization=organization, code=code).exclude(pk__in=[pk] if pk else []).exists()
    ):
        errors.setdefault("code", []).append(CODE_TAKEN)


def _check_scale(organization: Organization, scale: ProficiencyScale | None, errors: dict[str, list[str]]) -> None:
    if scale is not None and scale.organization_id != organization.pk:
        errors.setdefault("scale", []).append(NO_SUCH_SCALE)


def _save(skill: Skill, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            skill.save(update_fields=update_fields)
    except IntegrityError as exc:  # a concurrent request took the code between the check and the write
        raise ValidationError({"code": [CODE_TAKEN]}) from exc


def _state(skill: Skill) -> dict[str, Any]:
    return {
        "code": skill.code,
        "name": skill.name,
        "description": skill.description,
        "scale_id": skill.scale_id,
        "parent_id": skill.parent_id,
        "is_active": skill.is_active,
    }


def skill_create(
    *,
    organization: Organization,
    by: User,
    code: str,
    name: str,
    description: str = "",
    parent: Skill | None = None,
    scale: ProficiencyScale | None = None,
) -> Skill:
    """Add a skill to the framework, at the top or under an active `parent`."""
    policy.require(by, MANAGE, organization)
    errors: dict[str, list[str]] = {}
    skill = Skill(
        organization=organization,
        code=_clean_code(code, errors),
        name=_clean_name(name, errors),
        description=description.strip(),
        scale=scale,
    )
    _check_scale(organization, scale, errors)
    if parent is not None and parent.organization_id != organization.pk:
        errors.setdefault("parent", []).append(NO_SUCH_SKILL)
    _check_code_free(organization, skill.code, errors, None)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if parent is not None:
            # The parent may have moved or been deactivated since the caller loaded it: check the locked row.
            parent = Skill.objects.select_for_update().get(pk=parent.pk)
            if not parent.is_active:
                raise ValidationError({"parent": [PARENT_INACTIVE]})
            if parent.depth + 1 >= MAX_DEPTH:
                raise ValidationError({"parent": [TOO_DEEP]})
            skill.parent = parent
        _save(skill)
        # The path holds the row's own id, so it is set once the id exists.
        skill.path = f"{parent.path if parent else '/'}{skill.pk}/"
        Skill.objects.filter(pk=skill.pk).update(path=skill.path)
        audit_record(organization=organization, action="skill.created", actor=by, target=skill, after=_state(skill))
    emit(events.SkillCreated(organization.pk, skill.pk, _actor_id(by)))
    return skill


_UNSET: Any = object()


def skill_update(
    *,
    skill: Skill,
    by: User,
    code: str | None = None,
    name: str | None = None,
    description: str | None = None,
    scale: ProficiencyScale | None = _UNSET,
) -> Skill:
    """Change a skill's code, name, description or scale (None: leave it; for `scale`, None removes it)."""
    organization = skill.organization
    policy.require(by, MANAGE, organization)
    errors: dict[str, list[str]] = {}
    before = _state(skill)
    if code is not None:
        skill.code = _clean_code(code, errors)
        if skill.code != before["code"]:
            _check_code_free(organization, skill.code, errors, skill.pk)
    if name is not None:
        skill.name = _clean_name(name, errors)
    if description is not None:
        skill.description = description.strip()
    if scale is not _UNSET:
        _check_scale(organization, scale, errors)
        skill.scale = scale
    if errors:
        skill.refresh_from_db()
        raise ValidationError(errors)
    after = _state(skill)
    changed = [key for key in ("code", "name", "description", "scale_id") if before[key] != after[key]]
    if not changed:
        return skill
    with transaction.atomic():
        _save(skill, update_fields=["code", "name", "description", "scale", "updated_at"])
        audit_record(
            organization=organization,
            action="skill.changed",
            actor=by,
            target=skill,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    fields = tuple(key.removesuffix("_id") for key in changed)
    emit(events.SkillChanged(organization.pk, skill.pk, _actor_id(by), fields))
    return skill


def skill_move(*, skill: Skill, by: User, parent: Skill | None) -> Skill:
    """Put the skill (with its whole subtree) under `parent`, or at the top with None."""
    organization = skill.organization
    policy.require(by, MANAGE, organization)
    if parent is not None and parent.organization_id != organization.pk:
        raise ValidationError({"parent": [NO_SUCH_SKILL]})
    if (parent.pk if parent else None) == skill.parent_id:
        return skill
    with transaction.atomic():
        # Two crossing moves must not both pass the loop check on stale paths: re-read both rows under lock.
        ids = [skill.pk] + ([parent.pk] if parent is not None else [])
        locked = {row.pk: row for row in Skill.objects.select_for_update().filter(pk__in=ids)}
        current = locked[skill.pk]
        if parent is not None:
            parent = locked[parent.pk]
            if parent.path.startswith(current.path):
                raise ValidationError({"parent": [PARENT_CYCLE]})
            if current.is_active and not parent.is_active:
                raise ValidationError({"parent": [PARENT_INACTIVE]})
        old_path = current.path
        new_path = f"{parent.path if parent else '/'}{current.pk}/"
        subtree = Skill.objects.filter(Skill.subtree_q(old_path), organization=organization)
        deepest = max((path.count("/") for path in subtree.values_list("path", flat=True)), default=0)
        # Depth of the deepest sub-skill after the move: its depth now, shifted by how far the skill moves.
        if deepest - old_path.count("/") + new_path.count("/") - 2 >= MAX_DEPTH:
            raise ValidationError({"parent": [TOO_DEEP]})
        Skill.objects.filter(pk=current.pk).update(parent=parent, updated_at=clock.now())
        subtree.update(path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
        audit_record(
            organization=organization,
            action="skill.moved",
            actor=by,
            target=current,
            before={"parent_id": current.parent_id},
            after={"parent_id": parent.pk if parent else None},
        )
    skill.refresh_from_db()
    emit(events.SkillMoved(organization.pk, skill.pk, _actor_id(by), old_path, new_path))
    return skill


def skill_edit(
    *,
    skill: Skill,
    by: User,
    code: str | None = None,
    name: str | None = None,
    description: str | None = None,
    scale: ProficiencyScale | None = _UNSET,
    parent: Skill | None = _UNSET,
    is_active: bool | None = None,
) -> Skill:
    """Several changes at once (the edit page, an API PATCH), all or none: `skill_update`, then `skill_move` when
    `parent` is given, then `skill_deactivate` / `skill_reactivate` when `is_active` changes."""
    try:
        with transaction.atomic():
            skill_update(skill=skill, by=by, code=code, name=name, description=description, scale=scale)
            if parent is not _UNSET:
                skill_move(skill=skill, by=by, parent=parent)
            if is_active is not None and is_active != skill.is_active:
                if is_active:
                    skill_reactivate(skill=skill, by=by)
                else:
                    skill_deactivate(skill=skill, by=by)
    except (ValidationError, PermissionDenied):
        skill.refresh_from_db()  # the first steps were rolled back: so is the object the caller holds
        raise
    return skill


def skill_deactivate(*, skill: Skill, by: User) -> int:
    """Retire a skill and every sub-skill: they keep their tags and history but can no longer be chosen.

    Answers how many skills were deactivated.
    """
    organization = skill.organization
    policy.require(by, MANAGE, organization)
    with transaction.atomic():
        current = Skill.objects.select_for_update().get(pk=skill.pk)
        active = Skill.objects.filter(Skill.subtree_q(current.path), organization=organization, is_active=True)
        ids = tuple(active.order_by("path").values_list("pk", flat=True))
        if not ids:
            return 0
        Skill.objects.filter(pk__in=ids).update(is_active=False, updated_at=clock.now())
        audit_record(
            organization=organization,
            action="skill.deactivated",
            actor=by,
            target=current,
            before={"is_active": True},
            after={"is_active": False},
            summary={"skills": len(ids)},
        )
    skill.is_active = False
    emit(events.SkillDeactivated(organization.pk, skill.pk, _actor_id(by), ids))
    return len(ids)


def skill_reactivate(*, skill: Skill, by: User) -> Skill:
    """Make a deactivated skill choosable again (its sub-skills stay as they are). Needs an active parent."""
    organization = skill.organization
    policy.require(by, MANAGE, organization)
    with transaction.atomic():
        # Lock the skill only (PostgreSQL cannot lock the nullable side of the outer join to a parent).
        current = Skill.objects.select_for_update().get(pk=skill.pk)
        if current.is_active:
            return skill
        parent = Skill.objects.filter(pk=current.parent_id).first() if current.parent_id else None
        if parent is not None and not parent.is_active:
            raise ValidationError(STILL_UNDER_INACTIVE.format(name=parent.name))
        Skill.objects.filter(pk=current.pk).update(is_active=True, updated_at=clock.now())
        audit_record(
            organization=organization,
            action="skill.reactivated",
            actor=by,
            target=current,
            before={"is_active": False},
            after={"is_active": True},
        )
    skill.is_active = True
    emit(events.SkillReactivated(organization.pk, skill.pk, _actor_id(by)))
    return skill


def skill_delete(*, skill: Skill, by: User) -> None:
    """Delete a skill nothing uses: no sub-skills, and no course, activity or question tagged with it."""
    organization = skill.organization
    policy.require(by, MANAGE, organization)
    children = Skill.objects.filter(parent=skill).count()
    if children:
        raise ValidationError(HAS_CHILDREN.format(count=children))
    usage = selectors.skill_usage(skill=skill)
    if usage:
        raise ValidationError(IN_USE.format(uses=selectors.describe_usage(usage)))
    pk, code = skill.pk, skill.code
    with transaction.atomic():
        audit_record(organization=organization, action="skill.deleted", actor=by, target=skill, before=_state(skill))
        skill.delete()
    emit(events.SkillDeleted(organization.pk, pk, _actor_id(by), code))


# --- proficiency scales ------------------------------------------------------------------------------------


def _clean_levels(levels: Sequence[LevelInput], errors: dict[str, list[str]]) -> list[LevelInput]:
    cleaned = [LevelInput(" ".join(level.name.split()), level.descriptor.strip()) for level in levels]
    if len(cleaned) < MIN_LEVELS:
        errors.setdefault("levels", []).append(LEVELS_TOO_FEW.format(minimum=MIN_LEVELS))
    elif len(cleaned) > MAX_LEVELS:
        errors.setdefault("levels", []).append(LEVELS_TOO_MANY.format(maximum=MAX_LEVELS))
    seen: set[str] = set()
    for index, level in enumerate(cleaned):
        key = f"levels[{index}].name"
        if not level.name:
            errors.setdefault(key, []).append(LEVEL_NAME_REQUIRED)
        elif len(level.name) > 80:
            errors.setdefault(key, []).append(LEVEL_NAME_TOO_LONG)
        elif level.name.casefold() in seen:
            errors.setdefault(key, []).append(LEVEL_NAME_DUPLICATE)
        seen.add(level.name.casefold())
    return cleaned


def _clean_scale_name(
    organization: Organization, name: str, errors: dict[str, list[str]], pk: int | None = None
) -> str:
    name = " ".join(name.split())
    if not name:
        errors.setdefault("name", []).append(SCALE_NAME_REQUIRED)
    elif len(name) > 120:
        errors.setdefault("name", []).append(SCALE_NAME_TOO_LONG)
    else:
        # Names are compared as the import compares them, so a file's "1-5" never means two scales.
        key = imports.scale_key(name)
        scales = ProficiencyScale.objects.for_organization(organization).exclude(pk__in=[pk] if pk else [])
        others = scales.values_list("name", flat=True)
        if any(imports.scale_key(other) == key for other in others):
            errors.setdefault("name", []).append(SCALE_NAME_TAKEN)
    return name


def _scale_state(scale: ProficiencyScale, levels: Sequence[LevelInput]) -> dict[str, Any]:
    return {"name": scale.name, "description": scale.description, "levels": [level.name for level in levels]}


def _write_levels(scale: ProficiencyScale, levels: Sequence[LevelInput]) -> None:
    """Make the scale's levels these, by value: rows for values that stay are updated in place (later records
    that point at a level keep pointing at the same value)."""
    current = {level.value: level for level in ProficiencyLevel.objects.filter(scale=scale)}
    changed, added = [], []
    for value, level in enumerate(levels, start=1):
        row = current.get(value)
        if row is None:
            added.append(ProficiencyLevel(scale=scale, value=value, name=level.name, descriptor=level.descriptor))
        elif (row.name, row.descriptor) != (level.name, level.descriptor):
            row.name, row.descriptor = level.name, level.descriptor
            changed.append(row)
    ProficiencyLevel.objects.filter(scale=scale, value__gt=len(levels)).delete()
    ProficiencyLevel.objects.bulk_update(changed, ["name", "descriptor"])
    ProficiencyLevel.objects.bulk_create(added)


def scale_create(
    *,
    organization: Organization,
    by: User | None,
    name: str,
    levels: Sequence[LevelInput],
    description: str = "",
) -> ProficiencyScale:
    """Create a scale whose levels are valued 1..N in the order given. `by` None is the system (seed_demo)."""
    _require(by, organization)
    errors: dict[str, list[str]] = {}
    scale = ProficiencyScale(
        organization=organization, name=_clean_scale_name(organization, name, errors), description=description.strip()
    )
    cleaned = _clean_levels(levels, errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            scale.save()
            _write_levels(scale, cleaned)
            audit_record(
                organization=organization,
                action="proficiency_scale.created",
                actor=by,
                target=scale,
                after=_scale_state(scale, cleaned),
            )
    except IntegrityError as exc:
        raise ValidationError({"name": [SCALE_NAME_TAKEN]}) from exc
    return scale


def scale_create_default(*, organization: Organization, by: User | None) -> ProficiencyScale:
    """The "1–5" scale (Awareness … Expert, with descriptors), offered to organisations that have none."""
    return scale_create(
        organization=organization,
        by=by,
        name=DEFAULT_SCALE_NAME,
        description=DEFAULT_SCALE_DESCRIPTION,
        levels=DEFAULT_LEVELS,
    )


def scale_update(
    *,
    scale: ProficiencyScale,
    by: User,
    name: str | None = None,
    description: str | None = None,
    levels: Sequence[LevelInput] | None = None,
) -> ProficiencyScale:
    """Rename a scale, change its description, or replace its levels (valued 1..N in the order given)."""
    organization = scale.organization
    _require(by, organization)
    errors: dict[str, list[str]] = {}
    old_levels = [LevelInput(level.name, level.descriptor) for level in scale.levels.all()]
    before = _scale_state(scale, old_levels)
    if name is not None:
        scale.name = _clean_scale_name(organization, name, errors, pk=scale.pk)
    if description is not None:
        scale.description = description.strip()
    cleaned = _clean_levels(levels, errors) if levels is not None else old_levels
    if errors:
        scale.refresh_from_db()
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            scale.save()
            if levels is not None and cleaned != old_levels:
                _write_levels(scale, cleaned)
            after = _scale_state(scale, cleaned)
            if after != before or cleaned != old_levels:
                audit_record(
                    organization=organization,
                    action="proficiency_scale.changed",
                    actor=by,
                    target=scale,
                    before=before,
                    after=after,
                )
    except IntegrityError as exc:
        raise ValidationError({"name": [SCALE_NAME_TAKEN]}) from exc
    return scale


def scale_delete(*, scale: ProficiencyScale, by: User) -> None:
    """Delete a scale that no skill uses (skills would silently lose their scale otherwise)."""
    organization = scale.organization
    _require(by, organization)
    users = list(Skill.objects.filter(scale=scale).order_by("name").values_list("name", flat=True)[:4])
    if users:
        count = Skill.objects.filter(scale=scale).count()
        examples = ", ".join(users[:3]) + (", …" if count > 3 else "")
        raise ValidationError(SCALE_IN_USE.format(name=scale.name, count=count, examples=examples))
    levels = [LevelInput(level.name, level.descriptor) for level in scale.levels.all()]
    with transaction.atomic():
        audit_record(
            organization=organization,
            action="proficiency_scale.deleted",
            actor=by,
            target=scale,
            before=_scale_state(scale, levels),
        )
        scale.delete()


# --- CSV import --------------------------------------------------------------------------------------------


class ImportRejected(ValidationError):
    """The file has problems (`plan.problems`, each with its line and column); nothing was imported."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__([str(problem) for problem in plan.problems] or [IMPORT_INVALID])
        self.plan = plan


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    created_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]


def skills_import_preview(*, organization: Organization, by: User, data: bytes) -> ImportPlan:
    """The dry run: what importing the file would create and update, or its problems. Writes nothing."""
    policy.require(by, MANAGE, organization)
    return imports.plan(organization=organization, parsed=fcsv.read(data))


def skills_import_apply(
    *, organization: Organization, by: User | None, data: bytes, fingerprint: str = ""
) -> ImportResult:
    """Import the file in one transaction: all of it, or nothing (raises ImportRejected with every problem).

    The file is checked again against the framework as it is now; with the `fingerprint` of a preview, the import
    is refused (PLAN_CHANGED) unless it would do exactly what that preview showed. `by` None is the system.
    """
    _require(by, organization)
    parsed = fcsv.read(data)
    with transaction.atomic():
        plan = imports.plan(organization=organization, parsed=parsed, lock=True)
        if not plan.valid:
            raise ImportRejected(plan)
        if fingerprint and fingerprint != plan.fingerprint:
            raise ValidationError(PLAN_CHANGED, code="plan_changed")
        created, updated = _apply_plan(organization, plan)
        if created or updated:
            audit_record_bulk(
                organization=organization,
                action="skills.imported",
                actor=by,
                target_type="skills.skill",
                ids=[*created, *updated],
                details={"created": len(created), "updated": len(updated), "unchanged": plan.count(imports.UNCHANGED)},
            )
    if created or updated:
        emit(events.SkillsImported(organization.pk, _actor_id(by), created, updated))
    return ImportResult(plan, created, updated)


def _apply_plan(organization: Organization, plan: ImportPlan) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Write a valid plan with a bounded number of statements, whatever the number of rows.

    New skills are inserted a level at a time (parents first, so each row gets its parent at once), then the
    changed rows of the framework are updated (fields, parents, and the paths of moved branches, computed in memory
    from the final tree), then the new skills' paths are set a level at a time from their parents' paths in SQL.
    """
    existing = plan.existing
    before = {code: _row_key(skill) for code, skill in existing.items()}
    creates = {row.code: row for row in plan.rows if row.action == imports.CREATE}
    by_code: dict[str, Skill] = dict(existing)
    new: list[Skill] = []
    for level in _insertion_levels(creates):
        batch = [
            Skill(
                organization=organization,
                code=row.code,
                name=row.name,
                description=row.description or "",
                scale_id=row.scale_id,
                parent_id=by_code[row.parent_code].pk if row.parent_code else None,
                path="",
            )
            for row in level
        ]
        Skill.objects.bulk_create(batch, batch_size=BATCH)
        by_code.update((skill.code, skill) for skill in batch)
        new.extend(batch)
    for row in plan.rows:
        skill = by_code[row.code]
        if row.action == imports.UPDATE:
            skill.name = row.name
            skill.scale_id = row.scale_id
            if row.description is not None:
                skill.description = row.description
        if row.action != imports.CREATE and row.parent_code is not None:
            skill.parent_id = by_code[row.parent_code].pk if row.parent_code else None
    _set_paths(list(by_code.values()))
    now = clock.now()
    # Usually a handful of rows; one UPDATE each is faster here than bulk_update's CASE per column on SQLite.
    for code, skill in existing.items():
        if before[code] != _row_key(skill):
            skill.updated_at = now
            Skill.objects.filter(pk=skill.pk).update(
                parent_id=skill.parent_id,
                path=skill.path,
                name=skill.name,
                description=skill.description,
                scale_id=skill.scale_id,
                updated_at=now,
            )
    _write_new_paths(organization)
    created = tuple(skill.pk for skill in new)
    updated = tuple(by_code[row.code].pk for row in plan.rows if row.action == imports.UPDATE)
    return created, updated


def _insertion_levels(creates: dict[str, imports.PlannedRow]) -> list[list[imports.PlannedRow]]:
    """The new rows in levels: a row comes one level after its parent when that parent is new too."""
    levels: dict[str, int] = {}
    for code in creates:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current in creates and current not in levels:
            chain.append(current)
            current = creates[current].parent_code or None
        base = levels.get(current, -1) if current is not None else -1
        for offset, member in enumerate(reversed(chain), start=1):
            levels[member] = base + offset
    grouped: dict[int, list[imports.PlannedRow]] = {}
    for code, level in levels.items():
        grouped.setdefault(level, []).append(creates[code])
    return [grouped[level] for level in sorted(grouped)]


def _write_new_paths(organization: Organization) -> None:
    """Set the path of every new skill (saved with an empty one) from its parent's, one UPDATE per tree level."""
    parent_path = Subquery(Skill.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    pending = Skill.objects.filter(organization=organization, path="")
    for _level in range(MAX_DEPTH + 1):
        ready = pending.filter(Q(parent__isnull=True) | ~Q(parent__path=""))
        path = Concat(Coalesce(parent_path, Value("/")), Cast("pk", output_field=CharField()), Value("/"))
        if not ready.update(path=path):
            break


def _row_key(skill: Skill) -> tuple[Any, ...]:
    return (skill.parent_id, skill.path, skill.name, skill.description, skill.scale_id)


def _set_paths(skills: list[Skill]) -> None:
    """Every skill's path from its parent chain (the plan guarantees the chains end at the top)."""
    by_id = {skill.pk: skill for skill in skills}
    paths: dict[int, str] = {}
    for skill in skills:
        chain: list[Skill] = []
        current: Skill | None = skill
        while current is not None and current.pk not in paths:
            chain.append(current)
            current = by_id.get(current.parent_id) if current.parent_id else None
        path = paths[current.pk] if current is not None else "/"
        for member in reversed(chain):
            path = f"{path}{member.pk}/"
            paths[member.pk] = path
    for skill in skills:
        skill.path = paths[skill.pk]
