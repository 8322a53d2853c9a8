"""Property: whatever sequence of creates and moves, the materialised paths stay consistent with the parents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.accounts import services
from syllabus.accounts.models import OrgUnit
from tests.factories import MembershipFactory, OrganizationFactory, grant

# Each step: (unit index to move, new parent index or None). Indexes wrap around the units that exist.
steps = st.lists(st.tuples(st.integers(0, 11), st.one_of(st.none(), st.integers(0, 11))), max_size=15)


def assert_tree_consistent(organization) -> None:
    units = {unit.pk: unit for unit in OrgUnit.objects.filter(organization=organization)}
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        assert unit.path == f"{parent.path if parent else '/'}{unit.pk}/"
        assert unit.depth == (parent.depth + 1 if parent else 0)
        # The subtree query returns exactly the unit and its descendants.
        subtree = set(OrgUnit.objects.filter(OrgUnit.subtree_q(unit.path), organization=organization))
        descendants = {u for u in units.values() if u.path.startswith(unit.path)}
        assert subtree == descendants


@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(moves=steps)
def test_random_moves_keep_every_path_consistent(moves):
    organization = OrganizationFactory(slug="tree-props")
    admin = MembershipFactory(organization=organization)
    grant(admin, "org_admin")
    units: list[OrgUnit] = []
    for index in range(12):
        parent = units[(index * 7) % len(units)] if units and index % 3 else None
        units.append(
            services.org_unit_create(organization=organization, by=admin.user, name=f"U{index}", parent=parent)
        )
    for unit_index, parent_index in moves:
        unit = OrgUnit.objects.get(pk=units[unit_index].pk)
        parent = OrgUnit.objects.get(pk=units[parent_index].pk) if parent_index is not None else None
        try:
            services.org_unit_update(unit=unit, by=admin.user, parent=parent)
        except ValidationError as exc:
            # Only a move under itself or a descendant may be refused.
            assert services.ORG_UNIT_CYCLE in exc.messages
            assert parent is not None and parent.path.startswith(unit.path)
    assert_tree_consistent(organization)
