"""Domain events of the skills framework (dispatched after commit through syllabus.core.events).

Apps that copy skill data (the catalog's search entries, later mastery and adaptive paths) subscribe to these
instead of reading the framework on every request. `SkillMoved` and `SkillDeactivated` change which skills a
subtree filter ("courses about Patient safety and below") reaches.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SkillCreated:
    organization_id: int
    skill_id: int
    actor_id: int | None


@dataclass(frozen=True)
class SkillChanged:
    organization_id: int
    skill_id: int
    actor_id: int | None
    fields: tuple[str, ...]  # "code", "name", "description", "scale"


@dataclass(frozen=True)
class SkillMoved:
    organization_id: int
    skill_id: int
    actor_id: int | None
    old_path: str
    new_path: str


@dataclass(frozen=True)
class SkillDeactivated:
    organization_id: int
    skill_id: int
    actor_id: int | None
    skill_ids: tuple[int, ...]  # the skill and every sub-skill that was still active


@dataclass(frozen=True)
class SkillReactivated:
    organization_id: int
    skill_id: int
    actor_id: int | None


@dataclass(frozen=True)
class SkillDeleted:
    organization_id: int
    skill_id: int
    actor_id: int | None
    code: str


@dataclass(frozen=True)
class SkillsImported:
    organization_id: int
    actor_id: int | None
    created_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]
