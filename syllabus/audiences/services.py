"""Every write to audiences: create, change and delete them, and recompute who is in them.

A recompute is set-based: one query for the ids that match the rule now, one for the open stays, the difference
taken in memory, new stays inserted with bulk_create, and the stays of everyone who no longer matches closed with
one UPDATE. Nothing loops over people in Python except building the insert rows and the events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from syllabus.access import policy
from syllabus.accounts.models import Organization, User
from syllabus.audiences import events, rules
from syllabus.audiences.models import Audience, AudienceMembership, AudienceReference
from syllabus.audit.services import audit_record
from syllabus.core import clock
from syllabus.core.events import emit

NAME_TAKEN = "That name is already used by another audience in this organisation."
NAME_REQUIRED = "Give the audience a name."
IN_USE = "Audiences {names} include this one: change their rules first."
# More people than this in one change and a person-by-person recompute costs more than a full one.
SUBSET_LIMIT = 2000
INSERT_BATCH = 5000


@dataclass(frozen=True)
class RecomputeResult:
    audience_id: int
    joined: tuple[int, ...]
    left: tuple[int, ...]
    member_count: int
    at: dt.datetime

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left)


def _actor_id(by: User | None) -> int | None:
    return by.pk if by is not None and by.is_authenticated else None


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": [NAME_REQUIRED]})
    return name


def _save(audience: Audience, cleaned: rules.CleanedRules | None) -> None:
    try:
        with transaction.atomic():
            audience.save()
            if cleaned is not None:
                AudienceReference.objects.filter(source=audience).exclude(target_id__in=cleaned.references).delete()
                AudienceReference.objects.bulk_create(
                    [AudienceReference(source=audience, target_id=pk) for pk in sorted(cleaned.references)],
                    ignore_conflicts=True,
                )
    except IntegrityError as exc:
        raise ValidationError({"name": [NAME_TAKEN]}) from exc


def audience_create(
    *, organization: Organization, by: User, name: str, rules_tree: Any, description: str = ""
) -> Audience:
    """Create an audience. Its members are computed after commit (a background task, eager in tests)."""
    policy.require(by, "audience.manage", organization)
    cleaned = rules.validate(rules_tree, organization=organization)
    audience = Audience(
        organization=organization,
        name=_clean_name(name),
        description=description.strip(),
        rules=cleaned.tree,
        is_time_based=cleaned.is_time_based,
        rules_changed_at=clock.now(),
        created_by=by,
    )
    audience.full_clean(exclude=["rules", "created_by"], validate_constraints=False)
    with transaction.atomic():
        _save(audience, cleaned)
        audit_record(
            organization=organization,
            action="audience.created",
            actor=by,
            target=audience,
            after={"name": audience.name, "rules": audience.rules},
        )
    emit(events.AudienceCreated(organization.pk, audience.pk, _actor_id(by), audience.name))
    return audience


def audience_update(
    *,
    audience: Audience,
    by: User,
    name: str | None = None,
    description: str | None = None,
    rules_tree: Any = None,
) -> Audience:
    """Change an audience; new rules are recomputed after commit, and so is every audience that includes it."""
    organization = audience.organization
    policy.require(by, "audience.manage", organization)
    changed: list[str] = []
    cleaned = None
    before = {"name": audience.name, "description": audience.description, "rules": audience.rules}
    if rules_tree is not None:
        cleaned = rules.validate(rules_tree, organization=organization, audience_id=audience.pk)
        if cleaned.tree != audience.rules:
            audience.rules, audience.is_time_based = cleaned.tree, cleaned.is_time_based
            audience.rules_changed_at = clock.now()
            changed.append("rules")
    if name is not None and _clean_name(name) != audience.name:
        audience.name = _clean_name(name)
        changed.append("name")
    if description is not None and description.strip() != audience.description:
        audience.description = description.strip()
        changed.append("description")
    if not changed:
        return audience
    audience.full_clean(exclude=["rules", "created_by"], validate_constraints=False)
    after = {"name": audience.name, "description": audience.description, "rules": audience.rules}
    with transaction.atomic():
        _save(audience, cleaned)
        audit_record(
            organization=organization,
            action="audience.changed",
            actor=by,
            target=audience,
            before={field: before[field] for field in changed},
            after={field: after[field] for field in changed},
        )
    emit(events.AudienceChanged(organization.pk, audience.pk, _actor_id(by), tuple(changed)))
    return audience


def audience_delete(*, audience: Audience, by: User) -> None:
    """Delete an audience and its membership history. Refused while another audience includes it."""
    policy.require(by, "audience.manage", audience.organization)
    users = Audience.objects.filter(pk__in=AudienceReference.objects.filter(target=audience).values("source_id"))
    names = sorted(users.values_list("name", flat=True))
    if names:
        raise ValidationError(IN_USE.format(names=", ".join(f"“{name}”" for name in names)))
    pk, organization_id, name = audience.pk, audience.organization_id, audience.name
    with transaction.atomic():
        audit_record(
            organization=audience.organization,
            action="audience.deleted",
            actor=by,
            target=audience,
            before={"name": name, "rules": audience.rules, "member_count": audience.member_count},
        )
        # The history goes first: stays have no dependants, so the ORM deletes them in one statement.
        AudienceMembership.objects.filter(audience_id=pk).delete()
        audience.delete()
    emit(events.AudienceDeleted(organization_id, pk, _actor_id(by), name))


def audience_recompute(
    *, audience: Audience, by: User | None = None, membership_ids: Collection[int] | None = None
) -> RecomputeResult:
    """Bring the audience's materialised membership in line with its rules, now.

    `membership_ids` limits the work to those people (a person changed); None recomputes everyone. `by` is the
    person who asked (checked for `audience.manage`); None for the system (tasks, events). Events are emitted after
    commit: one AudienceMemberJoined / AudienceMemberLeft per person, and one AudienceRecomputed with every id.
    """
    if by is not None:
        policy.require(by, "audience.manage", audience.organization)
    if membership_ids is not None and len(membership_ids) > SUBSET_LIMIT:
        membership_ids = None
    with transaction.atomic():
        # Lock the audience row (PostgreSQL; SQLite serialises writers anyway), so two recomputes of one audience
        # never insert the same stay twice, and read the rules as they are now.
        current = Audience.objects.select_for_update().filter(pk=audience.pk).first()
        if current is None:
            return RecomputeResult(audience.pk, (), (), 0, clock.now())
        now = clock.now()
        matching = rules.matching_memberships(current.rules, organization=audience.organization)
        open_stays = AudienceMembership.objects.filter(audience=current, left_at__isnull=True)
        if membership_ids is not None:
            ids = list(membership_ids)
            matching = matching.filter(pk__in=ids)
            open_stays = open_stays.filter(membership_id__in=ids)
        matched = set(matching.values_list("pk", flat=True))
        present = set(open_stays.values_list("membership_id", flat=True))
        joined, left = sorted(matched - present), sorted(present - matched)
        AudienceMembership.objects.bulk_create(
            (AudienceMembership(audience=current, membership_id=pk, joined_at=now) for pk in joined),
            batch_size=INSERT_BATCH,
        )
        if left:
            # One UPDATE: every open stay of someone the rule no longer matches (the just-inserted stays all match).
            # Greatest() keeps left_at >= joined_at even if this server's clock is behind the one that inserted.
            open_stays.exclude(membership_id__in=matching.values("pk")).update(
                left_at=Greatest(Value(now), F("joined_at"))
            )
        count = AudienceMembership.objects.filter(audience=current, left_at__isnull=True).count()
        Audience.objects.filter(pk=current.pk).update(member_count=count, last_recomputed_at=now)
        if by is not None:
            # Recomputes asked for by a person are audited; the automatic ones are recorded by the stays themselves.
            audit_record(
                organization=audience.organization,
                action="audience.recomputed",
                actor=by,
                target=current,
                summary={"joined": len(joined), "left": len(left), "member_count": count},
            )
    audience.member_count, audience.last_recomputed_at = count, now
    result = RecomputeResult(current.pk, tuple(joined), tuple(left), count, now)
    _emit_changes(audience.organization_id, result)
    return result


def _emit_changes(organization_id: int, result: RecomputeResult) -> None:
    if not result.changed:
        return
    for pk in result.joined:
        emit(events.AudienceMemberJoined(organization_id, result.audience_id, pk, result.at))
    for pk in result.left:
        emit(events.AudienceMemberLeft(organization_id, result.audience_id, pk, result.at))
    emit(
        events.AudienceRecomputed(
            organization_id, result.audience_id, result.at, result.joined, result.left, result.member_count
        )
    )


# --- recomputing several audiences ---------------------------------------------------------------------------


def dependency_order(organization_id: int, audience_ids: Iterable[int] | None = None) -> list[int]:
    """Audience ids so that each comes after every audience it includes; `audience_ids` None means all of them.

    With a set of ids, every audience that includes one of them (transitively) is added: their members may change
    too. Rules are compiled with referenced rules inlined, so each recompute is right on its own; the order only
    keeps events in a sensible sequence.
    """
    all_ids = list(Audience.objects.filter(organization_id=organization_id).order_by("pk").values_list("pk", flat=True))
    edges = list(
        AudienceReference.objects.filter(source__organization_id=organization_id).values_list("source_id", "target_id")
    )
    dependents: dict[int, set[int]] = {}
    for source, target in edges:
        dependents.setdefault(target, set()).add(source)
    wanted = set(all_ids) if audience_ids is None else set(audience_ids) & set(all_ids)
    stack = list(wanted)
    while stack:
        for source in dependents.get(stack.pop(), ()):
            if source not in wanted:
                wanted.add(source)
                stack.append(source)
    needs: dict[int, set[int]] = {pk: set() for pk in wanted}
    for source, target in edges:
        if source in wanted and target in wanted:
            needs[source].add(target)
    ordered: list[int] = []
    done: set[int] = set()
    while needs:
        ready = sorted(pk for pk, targets in needs.items() if targets <= done)
        if not ready:  # a cycle validation should have refused: finish in id order rather than never
            ready = sorted(needs)
        for pk in ready:
            ordered.append(pk)
            done.add(pk)
            del needs[pk]
    return ordered


def audiences_recompute(
    *,
    organization: Organization,
    audience_ids: Iterable[int] | None = None,
    membership_ids: Collection[int] | None = None,
) -> list[RecomputeResult]:
    """Recompute several audiences of the organisation in dependency order (system action, no permission check).

    `audience_ids` None means every audience; `membership_ids` limits each recompute to those people.
    """
    ordered = dependency_order(organization.pk, audience_ids)
    audiences = Audience.objects.filter(pk__in=ordered).select_related("organization").in_bulk()
    return [
        audience_recompute(audience=audiences[pk], membership_ids=membership_ids) for pk in ordered if pk in audiences
    ]


def time_based_audience_ids(organization_id: int) -> list[int]:
    """Audiences whose rules use today's date, directly; `dependency_order` adds those that include them."""
    return list(
        Audience.objects.filter(organization_id=organization_id, is_time_based=True).values_list("pk", flat=True)
    )


def org_unit_audience_ids(organization_id: int) -> list[int]:
    """Audiences with a department-and-below condition: an org-unit move can change who they hold."""
    ids = []
    for pk, tree in Audience.objects.filter(organization_id=organization_id).values_list("pk", "rules"):
        if any("org_unit" in node for node in rules.walk(tree)):
            ids.append(pk)
    return ids
