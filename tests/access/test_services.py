"""Writes to roles and role assignments, tested from the attacker's side."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.access import services
from syllabus.access.capabilities import BY_CODE
from syllabus.access.events import RoleAssigned, RoleUnassigned
from syllabus.access.models import Role, RoleAssignment
from syllabus.access.policy import principal_for
from syllabus.accounts import services as accounts_services
from syllabus.accounts.models import Membership
from syllabus.core.events import subscribe, unsubscribe
from tests.factories import MembershipFactory, OrgUnitFactory, grant

pytestmark = pytest.mark.django_db


def builtin(key: str) -> Role:
    return Role.objects.get(organization__isnull=True, key=key)


def custom_role(world, name: str, capabilities: list[str]) -> Role:
    return services.role_create(organization=world.org, by=world.org_admin.user, name=name, capabilities=capabilities)


def fresh_user(membership: Membership):
    """The person as a new request would see them (no cached grants)."""
    return Membership.objects.select_related("user").get(pk=membership.pk).user


@pytest.fixture
def limited_admin(world) -> Membership:
    """An administrator through a custom role that has every capability except reading the audit trail."""
    role = custom_role(world, "Almost admin", sorted(set(BY_CODE) - {"audit.view"}))
    membership = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Alma Almost")
    services.role_assign(membership=membership, role=role, by=world.org_admin.user)
    return membership


# --- custom roles ------------------------------------------------------------------------------------------


def test_org_admin_creates_a_custom_role_with_sorted_unique_capabilities(world):
    role = custom_role(world, "  Course author ", ["course.edit", "course.create", "course.edit"])
    assert role.organization == world.org
    assert role.name == "Course author"
    assert role.custom_capabilities == ["course.create", "course.edit"]
    assert role.capabilities == frozenset({"course.create", "course.edit"})


def test_role_with_an_unknown_capability_is_refused_and_the_error_names_it(world):
    with pytest.raises(ValidationError) as error:
        custom_role(world, "Wizard", ["course.edit", "magic.cast"])
    assert "magic.cast" in str(error.value.message_dict["capabilities"])
    assert not Role.objects.filter(name="Wizard").exists()


def test_learner_cannot_create_roles(world):
    with pytest.raises(PermissionDenied):
        services.role_create(organization=world.org, by=world.learner.user, name="Mine", capabilities=[])


def test_admin_of_a_custom_role_lacking_audit_view_cannot_grant_audit_view(world, limited_admin):
    user = limited_admin.user
    with pytest.raises(PermissionDenied) as error:
        services.role_create(organization=world.org, by=user, name="Snoop", capabilities=["audit.view"])
    assert "audit.view" in str(error.value)
    with pytest.raises(PermissionDenied, match=r"audit\.view"):
        services.role_assign(membership=world.learner, role=builtin("auditor"), by=user)
    mine = services.role_create(organization=world.org, by=user, name="Reader", capabilities=["people.view"])
    with pytest.raises(PermissionDenied, match=r"audit\.view"):
        services.role_update(role=mine, by=user, capabilities=["people.view", "audit.view"])
    mine.refresh_from_db()
    assert mine.custom_capabilities == ["people.view"]
    assert not RoleAssignment.objects.filter(membership=world.learner).exists()


def test_capabilities_held_only_in_an_org_unit_cannot_be_granted_organisation_wide(world):
    role = custom_role(world, "Role admin", ["role.manage", "role.assign"])
    services.role_assign(membership=world.engineer, role=role, by=world.org_admin.user)
    grant(world.engineer, "manager", org_unit=world.engineering)
    with pytest.raises(PermissionDenied, match=r"people\.view"):
        services.role_create(
            organization=world.org, by=world.engineer.user, name="Viewer", capabilities=["people.view"]
        )


def test_builtin_roles_are_read_only(world):
    role = builtin("instructor")
    with pytest.raises(ValidationError, match="Built-in roles cannot be changed"):
        services.role_update(role=role, by=world.org_admin.user, capabilities=["org.manage"])
    with pytest.raises(ValidationError, match="Built-in roles cannot be changed"):
        services.role_delete(role=role, by=world.org_admin.user)
    role.refresh_from_db()
    assert role.custom_capabilities == []
    assert role.capabilities == frozenset({"course.create", "audience.view", "question.use"})


def test_custom_role_names_are_unique_in_the_organisation_ignoring_case(world):
    custom_role(world, "Team lead", [])
    with pytest.raises(ValidationError) as error:
        custom_role(world, "team LEAD", [])
    assert error.value.message_dict["name"] == [services.ROLE_NAME_TAKEN]
    other = custom_role(world, "Squad lead", [])
    with pytest.raises(ValidationError):
        services.role_update(role=other, by=world.org_admin.user, name="Team Lead")


def test_a_renamed_role_frees_its_name_for_a_new_role(world):
    role = custom_role(world, "Team lead", [])
    services.role_update(role=role, by=world.org_admin.user, name="Squad lead")
    again = custom_role(world, "Team lead", [])
    assert again.key != role.key


def test_the_same_role_name_may_exist_in_another_organisation(world):
    custom_role(world, "Team lead", [])
    theirs = services.role_create(
        organization=world.other_org, by=world.outsider.user, name="Team lead", capabilities=[]
    )
    assert theirs.organization == world.other_org


def test_role_in_use_cannot_be_deleted_until_unassigned(world):
    role = custom_role(world, "Course author", ["course.create"])
    assignment = services.role_assign(membership=world.learner, role=role, by=world.org_admin.user)
    with pytest.raises(ValidationError, match="assigned to 1 people"):
        services.role_delete(role=role, by=world.org_admin.user)
    services.role_unassign(assignment=assignment, by=world.org_admin.user)
    services.role_delete(role=role, by=world.org_admin.user)
    assert not Role.objects.filter(pk=role.pk).exists()


def test_outsider_cannot_edit_or_delete_our_custom_role(world):
    role = custom_role(world, "Course author", ["course.create"])
    with pytest.raises(PermissionDenied):
        services.role_update(role=role, by=world.outsider.user, name="Pwned")
    with pytest.raises(PermissionDenied):
        services.role_delete(role=role, by=world.outsider.user)
    role.refresh_from_db()
    assert role.name == "Course author"


# --- assignments -------------------------------------------------------------------------------------------


def test_role_assign_grants_capabilities_and_emits_an_event(world, django_capture_on_commit_callbacks):
    seen: list[RoleAssigned] = []
    subscribe(RoleAssigned, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assignment = services.role_assign(
                membership=world.learner, role=builtin("reviewer"), by=world.org_admin.user
            )
    finally:
        unsubscribe(RoleAssigned, seen.append)
    assert assignment.granted_by == world.org_admin.user
    assert principal_for(world.learner.user, world.org).can("course.review")
    assert [(event.membership_id, event.role_key, event.scope) for event in seen] == [
        (world.learner.pk, "reviewer", "organization")
    ]


def test_org_unit_assignment_limits_capabilities_to_that_subtree(world):
    services.role_assign(
        membership=world.engineer,
        role=builtin("manager"),
        by=world.org_admin.user,
        scope="org_unit",
        org_unit=world.sales,
    )
    principal = principal_for(fresh_user(world.engineer), world.org)
    assert principal.can("people.view", world.learner)  # Sales East is under Sales
    assert not principal.can("people.view", world.instructor)  # HQ is above Sales


def test_org_unit_assignment_refuses_organisation_only_capabilities(world):
    with pytest.raises(ValidationError) as error:
        services.role_assign(
            membership=world.engineer,
            role=builtin("org_admin"),
            by=world.org_admin.user,
            scope="org_unit",
            org_unit=world.sales,
        )
    assert "org.manage" in str(error.value.message_dict["scope"])
    assert not RoleAssignment.objects.filter(membership=world.engineer).exists()


def test_org_unit_scope_needs_an_org_unit(world):
    with pytest.raises(ValidationError) as error:
        services.role_assign(
            membership=world.engineer, role=builtin("manager"), by=world.org_admin.user, scope="org_unit"
        )
    assert error.value.message_dict["org_unit"] == [services.SCOPE_NEEDS_UNIT]


def test_unknown_scope_is_refused(world):
    with pytest.raises(ValidationError) as error:
        services.role_assign(
            membership=world.engineer, role=builtin("manager"), by=world.org_admin.user, scope="planet"
        )
    assert "scope" in error.value.message_dict


def test_the_same_role_twice_in_the_same_scope_is_refused(world):
    services.role_assign(membership=world.engineer, role=builtin("reviewer"), by=world.org_admin.user)
    with pytest.raises(ValidationError) as error:
        services.role_assign(membership=world.engineer, role=builtin("reviewer"), by=world.org_admin.user)
    assert error.value.messages == [services.ALREADY_ASSIGNED]
    kwargs = {"membership": world.engineer, "role": builtin("manager"), "by": world.org_admin.user, "scope": "org_unit"}
    services.role_assign(**kwargs, org_unit=world.sales)
    with pytest.raises(ValidationError, match="already has this role"):
        services.role_assign(**kwargs, org_unit=world.sales)
    # Another subtree is another scope.
    services.role_assign(**kwargs, org_unit=world.engineering)
    assert RoleAssignment.objects.filter(membership=world.engineer).count() == 3


def test_the_last_org_admin_cannot_be_removed(world):
    assignment = world.org_admin.role_assignments.get(role__key="org_admin")
    with pytest.raises(ValidationError) as error:
        services.role_unassign(assignment=assignment, by=world.org_admin.user)
    assert error.value.messages == [services.LAST_ADMIN]
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_a_deactivated_second_admin_does_not_count_as_another_admin(world):
    second = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(second, "org_admin")
    accounts_services.membership_deactivate(membership=second, by=world.org_admin.user)
    assignment = world.org_admin.role_assignments.get(role__key="org_admin")
    with pytest.raises(ValidationError, match="last org admin"):
        services.role_unassign(assignment=assignment, by=world.org_admin.user)


def test_an_org_admin_may_step_down_once_there_is_another(world):
    second = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(second, "org_admin")
    user = world.org_admin.user
    assignment = world.org_admin.role_assignments.get(role__key="org_admin")
    assert principal_for(user, world.org).can("org.manage")
    services.role_unassign(assignment=assignment, by=user)
    # The acting user object is the one whose grants were cached: they drop at once.
    assert not principal_for(user, world.org).can("org.manage")


def test_role_unassign_drops_capabilities_at_once(world, django_capture_on_commit_callbacks):
    user = world.instructor.user
    assert principal_for(user, world.org).can("course.create")
    assignment = world.instructor.role_assignments.get()
    seen: list[RoleUnassigned] = []
    subscribe(RoleUnassigned, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.role_unassign(assignment=assignment, by=world.org_admin.user)
    finally:
        unsubscribe(RoleUnassigned, seen.append)
    assert not principal_for(user, world.org).can("course.create")
    assert [(event.membership_id, event.role_key) for event in seen] == [(world.instructor.pk, "instructor")]


def test_removing_ones_own_role_drops_it_at_once_for_the_acting_user(world):
    role_admin = custom_role(world, "Role admin", ["role.view", "role.assign"])
    person = MembershipFactory(organization=world.org, org_unit=world.hq)
    services.role_assign(membership=person, role=role_admin, by=world.org_admin.user)
    auditor = services.role_assign(membership=person, role=builtin("auditor"), by=world.org_admin.user)
    acting_user = fresh_user(person)  # another object than auditor.membership.user, as in a request
    assert principal_for(acting_user, world.org).can("audit.view")
    services.role_unassign(assignment=RoleAssignment.objects.get(pk=auditor.pk), by=acting_user)
    assert not principal_for(acting_user, world.org).can("audit.view")


def test_learner_cannot_assign_or_remove_roles(world):
    with pytest.raises(PermissionDenied):
        services.role_assign(membership=world.learner, role=builtin("org_admin"), by=world.learner.user)
    assignment = world.instructor.role_assignments.get()
    with pytest.raises(PermissionDenied):
        services.role_unassign(assignment=assignment, by=world.learner.user)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_manager_cannot_assign_roles_to_their_team(world):
    with pytest.raises(PermissionDenied):
        services.role_assign(membership=world.report, role=builtin("manager"), by=world.manager.user)


def test_another_organisations_custom_role_cannot_be_assigned(world):
    theirs = services.role_create(
        organization=world.other_org, by=world.outsider.user, name="Globex lead", capabilities=["people.view"]
    )
    with pytest.raises(ValidationError) as error:
        services.role_assign(membership=world.learner, role=theirs, by=world.org_admin.user)
    assert error.value.message_dict["role"] == [services.ROLE_OTHER_ORG]


def test_another_organisations_org_unit_cannot_be_the_scope(world):
    their_unit = OrgUnitFactory(organization=world.other_org, name="Globex Sales")
    with pytest.raises(ValidationError) as error:
        services.role_assign(
            membership=world.learner,
            role=builtin("manager"),
            by=world.org_admin.user,
            scope="org_unit",
            org_unit=their_unit,
        )
    assert "org_unit" in error.value.message_dict


def test_our_admin_cannot_assign_roles_to_another_organisations_member(world):
    with pytest.raises(PermissionDenied):
        services.role_assign(membership=world.outsider, role=builtin("auditor"), by=world.org_admin.user)
    assert not RoleAssignment.objects.filter(membership=world.outsider, role__key="auditor").exists()


def test_outsider_cannot_remove_our_assignments(world):
    assignment = world.instructor.role_assignments.get()
    with pytest.raises(PermissionDenied):
        services.role_unassign(assignment=assignment, by=world.outsider.user)


def test_deactivated_membership_loses_its_grants_and_regains_them_on_reactivation(world):
    services.role_assign(membership=world.engineer, role=builtin("auditor"), by=world.org_admin.user)
    accounts_services.membership_deactivate(membership=world.engineer, by=world.org_admin.user)
    principal = principal_for(fresh_user(world.engineer), world.org)
    assert not principal.can("audit.view")
    assert principal.capabilities == frozenset()
    accounts_services.membership_reactivate(membership=world.engineer, by=world.org_admin.user)
    assert principal_for(fresh_user(world.engineer), world.org).can("audit.view")


def test_deactivated_admin_can_no_longer_assign_roles(world):
    second = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(second, "org_admin")
    accounts_services.membership_deactivate(membership=second, by=world.org_admin.user)
    with pytest.raises(PermissionDenied):
        services.role_assign(membership=world.learner, role=builtin("auditor"), by=fresh_user(second))


def test_grant_builtin_role_is_idempotent(world):
    first = services.grant_builtin_role(membership=world.learner, role_key="reviewer", by=None)
    again = services.grant_builtin_role(membership=world.learner, role_key="reviewer", by=None)
    assert first.pk == again.pk


def test_a_role_manager_cannot_strip_capabilities_they_lack_from_a_role(world, limited_admin):
    powerful = custom_role(world, "Auditors plus", ["audit.view", "people.view"])
    with pytest.raises(PermissionDenied):
        services.role_update(role=powerful, by=fresh_user(limited_admin), capabilities=["people.view"])
    powerful.refresh_from_db()
    assert "audit.view" in powerful.custom_capabilities


def test_granting_the_first_org_admin_is_recorded_as_an_event(world, django_capture_on_commit_callbacks):
    seen: list[RoleAssigned] = []
    subscribe(RoleAssigned, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.grant_builtin_role(membership=world.engineer, role_key="org_admin", by=world.platform_admin)
    finally:
        unsubscribe(RoleAssigned, seen.append)
    assert [(event.membership_id, event.role_key) for event in seen] == [(world.engineer.pk, "org_admin")]
