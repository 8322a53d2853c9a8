"""How audiences follow people: domain events of accounts (after commit) queue a recompute task.

A change to one person recomputes every audience of the organisation for that person only; an org-unit move
recomputes the audiences with a department condition; a new or changed rule recomputes that audience and those
that include it. The nightly beat task catches up on time-based rules.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import OperationalError

from syllabus.accounts import events as accounts_events
from syllabus.audiences import events
from syllabus.core.events import subscribe

logger = logging.getLogger(__name__)

# Membership fields (as in MembershipChanged snapshots) that audience rules can read.
RULE_FIELDS = ("org_unit_id", "job_role_id", "location_id", "hire_date", "attributes")


def _queue(task: Any, *args: Any) -> None:
    try:
        task.delay(*args)
    except OperationalError:
        # The person's change is committed already; the nightly recompute will catch up. Never fail the request.
        logger.exception("Could not queue %s%r: broker unreachable", task.name, args)


def on_person(event: Any) -> None:
    from syllabus.audiences.tasks import recompute_for_people

    _queue(recompute_for_people, event.organization_id, [event.membership_id])


def on_membership_changed(event: accounts_events.MembershipChanged) -> None:
    if any(event.before.get(name) != event.after.get(name) for name in RULE_FIELDS):
        on_person(event)


def on_org_unit_moved(event: accounts_events.OrgUnitMoved) -> None:
    from syllabus.audiences.tasks import recompute_organization

    _queue(recompute_organization, event.organization_id, "org_unit")


def on_people_imported(event: Any) -> None:
    from syllabus.audiences.tasks import recompute_for_people, recompute_organization

    membership_ids = list(getattr(event, "membership_ids", None) or ())
    if membership_ids:
        _queue(recompute_for_people, event.organization_id, membership_ids)
    else:
        _queue(recompute_organization, event.organization_id, "all")


def on_reference_data_changed(event: Any) -> None:
    # Deleting a job role or location empties it from memberships without a per-person event.
    if getattr(event, "action", "") == "deleted" and getattr(event, "kind", "") in ("job_role", "location"):
        from syllabus.audiences.tasks import recompute_organization

        _queue(recompute_organization, event.organization_id, "all")


def on_audience_saved(event: events.AudienceCreated | events.AudienceChanged) -> None:
    if isinstance(event, events.AudienceChanged) and "rules" not in event.fields:
        return
    from syllabus.audiences.tasks import recompute_audience

    _queue(recompute_audience, event.audience_id)


def connect() -> None:
    subscribe(accounts_events.PersonCreated, on_person)
    subscribe(accounts_events.MembershipDeactivated, on_person)
    subscribe(accounts_events.MembershipReactivated, on_person)
    subscribe(accounts_events.MembershipChanged, on_membership_changed)
    subscribe(accounts_events.OrgUnitMoved, on_org_unit_moved)
    # Bulk HR imports (added with HR sync) announce many people at once.
    people_imported = getattr(accounts_events, "PeopleImported", None)
    if people_imported is not None:
        subscribe(people_imported, on_people_imported)
    reference_data_changed = getattr(accounts_events, "ReferenceDataChanged", None)
    if reference_data_changed is not None:
        subscribe(reference_data_changed, on_reference_data_changed)
    subscribe(events.AudienceCreated, on_audience_saved)
    subscribe(events.AudienceChanged, on_audience_saved)
