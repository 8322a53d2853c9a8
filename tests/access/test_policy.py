"""Who may do what, tested from the attacker's side."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from syllabus.access.policy import forget, principal_for, require
from syllabus.accounts import selectors
from syllabus.accounts.models import Membership
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db


def visible_names(world, membership: Membership, capability: str = "people.view") -> set[str]:
    principal = principal_for(membership.user, world.org)
    qs = selectors.people_list(organization=world.org, visible=principal.membership_q(capability))
    return {m.user.display_name for m in qs}


def test_org_admin_sees_everyone_in_their_organisation_only(world):
    names = visible_names(world, world.org_admin)
    assert "Lena Learner" in names and "Eddie Engineer" in names
    assert "Oscar Outsider" not in names


def test_manager_sees_transitive_reporting_line_but_not_other_departments(world):
    names = visible_names(world, world.manager)
    assert names == {"Rita Report", "Ivan Indirect"}


def test_manager_with_org_unit_assignment_also_sees_that_subtree(world):
    grant(world.manager, "manager", org_unit=world.sales)
    names = visible_names(world, world.manager)
    assert {"Rita Report", "Ivan Indirect", "Lena Learner", "Max Manager"} <= names
    assert "Eddie Engineer" not in names


def test_learner_sees_nobody_and_cannot_manage_people(world):
    assert visible_names(world, world.learner) == set()
    with pytest.raises(PermissionDenied):
        require(world.learner.user, "people.manage", world.org)


def test_outsider_org_admin_has_no_power_in_our_organisation(world):
    principal = principal_for(world.outsider.user, world.org)
    assert not principal.is_member
    assert not principal.can("people.view")
    assert not principal.can("people.view", world.learner)


def test_capability_on_object_of_another_organisation_is_refused(world):
    principal = principal_for(world.org_admin.user, world.org)
    assert principal.can("people.view", world.learner)
    assert not principal.can("people.view", world.outsider)


def test_deactivated_membership_loses_every_capability(world):
    Membership.objects.filter(pk=world.org_admin.pk).update(is_active=False)
    world.org_admin.user.refresh_from_db()
    assert not principal_for(world.org_admin.user, world.org).can("org.manage")


def test_manager_cycle_in_hr_data_does_not_loop(world):
    Membership.objects.filter(pk=world.manager.pk).update(manager=world.indirect_report)
    names = visible_names(world, world.manager)
    assert "Ivan Indirect" in names


def test_auditor_reads_but_cannot_write(world):
    auditor = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(auditor, "auditor")
    principal = principal_for(auditor.user, world.org)
    assert principal.can("people.view", world.learner)
    assert principal.can("audit.view")
    assert not principal.can("people.manage")
    assert not principal.can("role.assign")


def test_platform_admin_may_do_anything_anywhere(world):
    principal = principal_for(world.platform_admin, world.other_org)
    assert principal.can("org.manage")
    assert principal.can("people.view", world.outsider)


def test_grants_are_computed_once_per_request_user_object(world, django_assert_num_queries):
    user = world.org_admin.user
    principal_for(user, world.org)
    with django_assert_num_queries(0):
        for _ in range(5):
            principal_for(user, world.org).can("people.manage", world.learner)


def test_org_unit_grant_of_a_role_with_organisation_only_capabilities_gives_only_the_scopable_ones(world):
    # The services refuse such an assignment; the policy stays safe even if one slips in through other paths.
    grant(world.engineer, "org_admin", org_unit=world.sales)
    principal = principal_for(world.engineer.user, world.org)
    assert principal.can("people.view", world.learner)
    assert not principal.can("people.view", world.instructor)
    assert not principal.can("org.manage")
    assert not principal.can("role.assign")


# --- the reporting line: read once, then filtered on by ids --------------------------------------------------------


def _line_q_ids(world, membership: Membership, *, read_first: bool) -> set[int]:
    principal = principal_for(membership.user, world.org)
    if read_first:
        _ = principal.reporting_line_ids
    q = principal.membership_q("enrollment.view")
    return set(Membership.objects.filter(q).values_list("pk", flat=True))


def test_the_line_filters_the_same_by_subquery_or_by_the_ids_read_first(world):
    by_subquery = _line_q_ids(world, world.manager, read_first=False)
    forget(world.manager.user)  # a fresh principal, as in the next request
    by_ids = _line_q_ids(world, world.manager, read_first=True)
    assert by_subquery == by_ids == {world.report.pk, world.indirect_report.pk}


def test_a_line_longer_than_the_inline_limit_is_filtered_by_the_subquery(world, monkeypatch):
    from syllabus.access import policy

    monkeypatch.setattr(policy, "LINE_IDS_INLINE", 1)
    principal = principal_for(world.manager.user, world.org)
    _ = principal.reporting_line_ids
    sql = str(Membership.objects.filter(principal.membership_q("enrollment.view")).query)
    assert "RECURSIVE" in sql
    assert set(Membership.objects.filter(principal.membership_q("enrollment.view")).values_list("pk", flat=True)) == {
        world.report.pk,
        world.indirect_report.pk,
    }


def test_the_manager_is_in_their_own_line_only_through_a_cycle(world):
    assert world.manager.pk not in principal_for(world.manager.user, world.org).reporting_line_ids
    Membership.objects.filter(pk=world.manager.pk).update(manager=world.indirect_report)
    forget(world.manager.user)
    line = principal_for(world.manager.user, world.org).reporting_line_ids
    assert line == {world.report.pk, world.indirect_report.pk, world.manager.pk}


def test_reading_the_line_first_answers_has_reports_without_a_query(world, django_assert_num_queries):
    manager = principal_for(world.manager.user, world.org)
    learner = principal_for(world.learner.user, world.org)
    # The learner's line is known empty without a walk: nobody reports to them (read with their membership).
    with django_assert_num_queries(1):
        _ = manager.reporting_line_ids
        _ = learner.reporting_line_ids
    with django_assert_num_queries(0):
        assert manager.has_reports and not learner.has_reports


def test_has_reports_comes_with_the_membership_without_a_query(world, django_assert_num_queries):
    with django_assert_num_queries(4):  # each: the membership (whether anyone reports to them) and the roles
        manager = principal_for(world.manager.user, world.org)
        learner = principal_for(world.learner.user, world.org)
    with django_assert_num_queries(0):
        assert manager.has_reports and not learner.has_reports
        assert learner.reporting_line_ids == frozenset()
