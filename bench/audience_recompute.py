"""Benchmark: recomputing an audience whose rule matches about 50,000 people.

    .venv/bin/python bench/generate_scale.py --users 100000                 # once, to build the organisation
    .venv/bin/python bench/audience_recompute.py
    .venv/bin/python bench/audience_recompute.py --database postgres://postgres@127.0.0.1:5432/syllabus_scale

Works on the organisation built by `generate_scale` (`--organization`, default `scale`) in the database of
DATABASE_URL (or --database). The rule is realistic: a department subtree (the whole company), a set of locations
(as many as it takes to reach about --target people), a custom attribute and a NOT on a time-based hire-date
condition. It times, each as the services run them (one transaction, events emitted after commit):

1. preview: compile the rule and count the matches (what the builder's Preview does);
2. the first recompute: everyone joins;
3. a second recompute with nothing changed;
4. a recompute after --flips people changed location (half leave, half join), and the same for those people only;
5. point-in-time reads: who was in the audience before the flips.

It then puts the people back where they were and deletes the benchmark audience (keep it with --keep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "Benchmark: about 50,000 people"


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<58} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organization", default="scale")
    parser.add_argument("--target", type=int, default=50_000, help="about how many people the rule should match")
    parser.add_argument("--flips", type=int, default=5_000, help="people whose change flips their membership")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", help="a DATABASE_URL (default: the DATABASE_URL environment variable)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark audience and its history")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Q

    from syllabus.accounts.models import Location, Membership, Organization, OrgUnit
    from syllabus.audiences import rules, selectors, services
    from syllabus.audiences.models import Audience
    from syllabus.core import clock

    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        sys.exit(f"No organisation {args.organization!r}: run bench/generate_scale.py first.")
    people = Membership.objects.filter(organization=organization, is_active=True).count()
    print(f"{connection.vendor}: organisation {organization.slug!r} with {people:,} active people")
    Audience.objects.filter(organization=organization, name=NAME).delete()

    root = OrgUnit.objects.get(organization=organization, depth=0)
    locations = list(Location.objects.filter(organization=organization).order_by("name").values_list("pk", flat=True))

    def tree(location_ids: list[int]) -> dict:
        return {
            "all": [
                {"org_unit": root.pk, "include_sub_units": True},
                {"location": location_ids},
                {"attribute": {"key": "fte", "op": "gte", "value": 0.5}},
                {"not": {"hire_date": {"within_days": 30}}},
            ]
        }

    chosen: list[int] = []
    for pk in locations:
        chosen.append(pk)
        if rules.matching_memberships(tree(chosen), organization=organization).count() >= args.target:
            break
    rule = rules.validate(tree(chosen), organization=organization).tree
    # Created directly (not through audience_create) so no background recompute is queued: this script times them.
    audience = Audience.objects.create(organization=organization, name=NAME, rules=rule)

    count = timed(
        "preview: compile and count", lambda: rules.matching_memberships(rule, organization=organization).count()
    )
    print(f"  the rule matches {count:,} people ({len(chosen)} of {len(locations)} locations)")
    first = timed("recompute 1: everyone joins", lambda: services.audience_recompute(audience=audience))
    print(f"  joined {len(first.joined):,}, left {len(first.left):,}, members {first.member_count:,}")
    second = timed("recompute 2: nothing changed", lambda: services.audience_recompute(audience=audience))
    print(f"  joined {len(second.joined):,}, left {len(second.left):,}")

    # Flip: half of the flips leave (to a location outside the rule), half join (from outside into the rule).
    before_flips = clock.now()
    rng = random.Random(args.seed)
    outside = [pk for pk in locations if pk not in chosen]
    members = list(selectors.member_ids(audience).values_list("membership_id", flat=True))
    non_members = list(
        Membership.objects.filter(organization=organization, is_active=True, location_id__in=outside)
        .exclude(hire_date__gte=rules.organization_today(organization) - dt.timedelta(days=30))
        .values_list("pk", "location_id")
    )
    leavers = rng.sample(members, min(args.flips // 2, len(members)))
    joiners = rng.sample(non_members, min(args.flips - len(leavers), len(non_members)))
    old_locations = dict(Membership.objects.filter(pk__in=leavers).values_list("pk", "location_id"))
    Membership.objects.filter(pk__in=leavers).update(location_id=outside[0])
    Membership.objects.filter(pk__in=[pk for pk, _ in joiners]).update(location_id=chosen[0])
    third = timed(
        f"recompute 3: {len(leavers) + len(joiners):,} people flipped",
        lambda: services.audience_recompute(audience=audience),
    )
    print(f"  joined {len(third.joined):,}, left {len(third.left):,}, members {third.member_count:,}")
    assert len(third.joined) == len(joiners) and len(third.left) == len(leavers)

    # The same flips back, recomputed for those people only (what a person change does).
    by_location: dict[int, list[int]] = {}
    for pk, location_id in [*old_locations.items(), *joiners]:
        by_location.setdefault(location_id, []).append(pk)
    for location_id, pks in by_location.items():
        Membership.objects.filter(pk__in=pks).update(location_id=location_id)
    flipped = list(old_locations) + [pk for pk, _ in joiners]
    fourth = timed(
        f"recompute 4: the {len(flipped):,} flipped back, for them only",
        lambda: services.audience_recompute(audience=audience, membership_ids=flipped),
    )
    print(f"  joined {len(fourth.joined):,}, left {len(fourth.left):,}, members {fourth.member_count:,}")
    assert fourth.member_count == first.member_count

    at = timed("members at a past time: count", lambda: selectors.member_count(audience=audience, at=before_flips))
    print(f"  {at:,} members at {before_flips.isoformat()}")
    timed(
        "members at a past time: first page of 25 by name",
        lambda: list(selectors.members(audience=audience, visible=Q(), at=before_flips)[:25]),
    )

    if not args.keep:
        Audience.objects.filter(pk=audience.pk).delete()


if __name__ == "__main__":
    main()
