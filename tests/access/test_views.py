"""The roles and permissions pages, tested for each persona and from the attacker's side."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.access import services
from syllabus.access.capabilities import BY_CODE
from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts.middleware import SESSION_KEY
from tests.factories import MembershipFactory, OrgUnitFactory, grant

pytestmark = pytest.mark.django_db

ROLES = reverse("access:roles")
NEW_ROLE = reverse("access:role-create")


def builtin(key: str) -> Role:
    return Role.objects.get(organization__isnull=True, key=key)


def person_url(membership) -> str:
    return reverse("access:person-roles", args=[membership.pk])


def remove_url(assignment) -> str:
    return reverse("access:person-role-remove", args=[assignment.membership_id, assignment.pk])


def custom_role(world, name: str, capabilities: list[str], organization=None, by=None) -> Role:
    return services.role_create(
        organization=organization or world.org, by=by or world.org_admin.user, name=name, capabilities=capabilities
    )


@pytest.fixture
def login(client):
    def sign_in(membership_or_user, organization=None):
        user = getattr(membership_or_user, "user", membership_or_user)
        client.force_login(user)
        if organization is not None:
            session = client.session
            session[SESSION_KEY] = organization.pk
            session.save()
        return client

    return sign_in


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- who may open which page -------------------------------------------------------------------------------


def test_signed_out_visitor_is_sent_to_sign_in(client, world):
    response = client.get(ROLES)
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_org_admin_sees_builtin_and_custom_roles_with_capabilities_and_holder_counts(login, world):
    role = custom_role(world, "Course author", ["course.create", "course.edit"])
    services.role_assign(membership=world.learner, role=role, by=world.org_admin.user)
    services.role_assign(membership=world.engineer, role=role, by=world.org_admin.user)
    custom_role(world, "Secret Globex role", [], organization=world.other_org, by=world.outsider.user)
    response = login(world.org_admin).get(ROLES)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Organisation admin" in html and "Course author" in html
    assert str(BY_CODE["course.create"].label) in html
    assert "Secret Globex role" not in html
    custom_row = next(row for row in response.context["custom_rows"] if row.role.pk == role.pk)
    assert custom_row.holder_count == 2
    instructor_row = next(row for row in response.context["builtin_rows"] if row.role.key == "instructor")
    assert instructor_row.holder_count == 1
    assert reverse("access:role-edit", args=[role.pk]) in html
    assert f"{NEW_ROLE}?from={builtin('instructor').pk}" in html


def test_holder_counts_leave_out_deactivated_people_and_other_organisations(login, world):
    grant(world.outsider, "instructor")
    gone = MembershipFactory(organization=world.org, is_active=False)
    grant(gone, "instructor")
    response = login(world.org_admin).get(ROLES)
    instructor_row = next(row for row in response.context["builtin_rows"] if row.role.key == "instructor")
    assert instructor_row.holder_count == 1


def test_auditor_reads_roles_but_gets_no_editing_actions(login, world):
    auditor = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(auditor, "auditor")
    response = login(auditor).get(ROLES)
    assert response.status_code == 200
    html = response.content.decode()
    assert NEW_ROLE not in html
    assert "Duplicate as custom role" not in html
    assert login(auditor).get(NEW_ROLE).status_code == 403


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_without_role_capabilities_get_403_on_the_roles_pages(login, world, persona):
    client = login(getattr(world, persona))
    assert client.get(ROLES).status_code == 403
    assert client.get(NEW_ROLE).status_code == 403
    assert client.post(NEW_ROLE, {"name": "Mine", "capabilities": ["org.manage"]}).status_code == 403
    assert not Role.objects.filter(name="Mine").exists()


def test_learner_gets_403_on_another_persons_roles_page(login, world):
    assert login(world.learner).get(person_url(world.engineer)).status_code == 403


def test_learner_cannot_assign_a_role_through_the_page(login, world):
    response = login(world.learner).post(
        person_url(world.learner), {"role": builtin("org_admin").pk, "scope": "organization"}
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(membership=world.learner).exists()


def test_manager_sees_the_roles_of_their_team_read_only(login, world):
    response = login(world.manager).get(person_url(world.indirect_report))
    assert response.status_code == 200
    assert response.context["can_assign"] is False
    assert b"Assign a role" not in response.content
    response = login(world.manager).post(
        person_url(world.indirect_report), {"role": builtin("manager").pk, "scope": "organization"}
    )
    assert response.status_code == 403


def test_manager_gets_403_for_someone_outside_their_team(login, world):
    assert login(world.manager).get(person_url(world.engineer)).status_code == 403


def test_another_organisations_membership_id_gives_404(login, world):
    client = login(world.org_admin)
    assert client.get(person_url(world.outsider)).status_code == 404
    outsider_admin = world.outsider.role_assignments.get()
    assert client.post(remove_url(outsider_admin)).status_code == 404
    assert RoleAssignment.objects.filter(pk=outsider_admin.pk).exists()


def test_another_organisations_role_gives_404(login, world):
    theirs = custom_role(world, "Globex lead", [], organization=world.other_org, by=world.outsider.user)
    client = login(world.org_admin)
    assert client.get(reverse("access:role-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("access:role-delete", args=[theirs.pk])).status_code == 404
    assert client.get(f"{NEW_ROLE}?from={theirs.pk}").status_code == 404
    assert Role.objects.filter(pk=theirs.pk).exists()


def test_an_assignment_id_under_another_persons_url_gives_404(login, world):
    instructor_assignment = world.instructor.role_assignments.get()
    url = reverse("access:person-role-remove", args=[world.learner.pk, instructor_assignment.pk])
    assert login(world.org_admin).post(url).status_code == 404
    assert RoleAssignment.objects.filter(pk=instructor_assignment.pk).exists()


def test_platform_admin_without_a_chosen_organisation_is_asked_to_choose_one(login, world):
    response = login(world.platform_admin).get(ROLES)
    assert response.status_code == 302
    assert reverse("accounts:choose-organization") in response["Location"]
    response = login(world.platform_admin, organization=world.org).get(ROLES)
    assert response.status_code == 200


# --- custom roles ------------------------------------------------------------------------------------------


def test_org_admin_creates_a_custom_role_through_the_page(login, world):
    response = login(world.org_admin).post(
        NEW_ROLE,
        {"name": "Course author", "description": "Writes courses.", "capabilities": ["course.create", "course.edit"]},
    )
    assert response.status_code == 302
    assert response["Location"] == ROLES
    role = Role.objects.get(organization=world.org, name="Course author")
    assert role.capabilities == frozenset({"course.create", "course.edit"})
    assert role.description == "Writes courses."


def test_the_role_form_groups_capabilities_by_prefix(login, world):
    response = login(world.org_admin).get(NEW_ROLE)
    groups = {
        str(group.label): [option.code for option in group.options]
        for group in response.context["form"].capability_groups()
    }
    assert groups["People"] == ["people.view", "people.manage", "people.deactivate", "people.privacy", "people.unlock"]
    assert groups["Courses"] == [
        "course.view_all",
        "course.create",
        "course.edit",
        "course.teach",
        "course.manage",
        "course.publish",
        "course.review",
    ]
    assert sum(len(codes) for codes in groups.values()) == len(BY_CODE)
    assert b"<legend>Organisation</legend>" in response.content


def test_duplicating_a_builtin_role_prefills_the_create_form(login, world):
    instructor = builtin("instructor")
    response = login(world.org_admin).get(f"{NEW_ROLE}?from={instructor.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["name"] == "Instructor (custom)"
    assert set(form.initial["capabilities"]) == instructor.capabilities
    html = response.content.decode()
    assert re.search(r'<input[^>]*value="course.create"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="org.manage"[^>]*checked', html)


def test_escalation_is_refused_with_the_services_message(login, world):
    limited = custom_role(world, "Almost admin", sorted(set(BY_CODE) - {"audit.view"}))
    person = MembershipFactory(organization=world.org, org_unit=world.hq)
    services.role_assign(membership=person, role=limited, by=world.org_admin.user)
    response = login(person).post(NEW_ROLE, {"name": "Snoop", "capabilities": ["audit.view", "people.view"]})
    assert response.status_code == 200
    assert "You cannot grant capabilities you do not hold yourself: audit.view." in response.content.decode()
    assert not Role.objects.filter(name="Snoop").exists()
    # The form says up front which capabilities this person cannot grant.
    option = next(
        option
        for group in response.context["form"].capability_groups()
        for option in group.options
        if option.code == "audit.view"
    )
    assert option.held is False


def test_invalid_role_form_marks_the_field_for_assistive_technology(login, world):
    response = login(world.org_admin).post(NEW_ROLE, {"name": "", "capabilities": ["magic.cast"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_name_error"' in html
    assert not Role.objects.filter(organization=world.org).exists()


def test_duplicate_role_name_shows_the_error_on_the_name_field(login, world):
    custom_role(world, "Course author", [])
    response = login(world.org_admin).post(NEW_ROLE, {"name": "course AUTHOR"})
    assert response.context["form"].errors["name"] == [services.ROLE_NAME_TAKEN]


def test_org_admin_edits_a_custom_role(login, world):
    role = custom_role(world, "Course author", ["course.create"])
    url = reverse("access:role-edit", args=[role.pk])
    client = login(world.org_admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Course editor", "capabilities": ["course.edit"]})
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Course editor"
    assert role.custom_capabilities == ["course.edit"]


def test_builtin_roles_cannot_be_edited_or_deleted_through_the_pages(login, world):
    instructor = builtin("instructor")
    client = login(world.org_admin)
    assert client.get(reverse("access:role-edit", args=[instructor.pk])).status_code == 404
    assert client.post(reverse("access:role-delete", args=[instructor.pk])).status_code == 404
    assert Role.objects.filter(pk=instructor.pk).exists()


def test_org_admin_deletes_an_unused_custom_role(login, world):
    role = custom_role(world, "Course author", [])
    response = login(world.org_admin).post(reverse("access:role-delete", args=[role.pk]), follow=True)
    assert not Role.objects.filter(pk=role.pk).exists()
    assert "The role “Course author” was deleted." in page_messages(response)


def test_a_role_in_use_is_not_deleted_and_the_page_says_why(login, world):
    role = custom_role(world, "Course author", [])
    services.role_assign(membership=world.learner, role=role, by=world.org_admin.user)
    response = login(world.org_admin).post(reverse("access:role-delete", args=[role.pk]), follow=True)
    assert Role.objects.filter(pk=role.pk).exists()
    assert page_messages(response) == ["This role is assigned to 1 people; remove those assignments first."]


def test_delete_needs_post(login, world):
    role = custom_role(world, "Course author", [])
    assert login(world.org_admin).get(reverse("access:role-delete", args=[role.pk])).status_code == 405


# --- one person's roles ------------------------------------------------------------------------------------


def test_person_roles_page_names_the_person_and_lists_assignments(login, world):
    services.role_assign(
        membership=world.engineer,
        role=builtin("manager"),
        by=world.org_admin.user,
        scope="org_unit",
        org_unit=world.sales,
    )
    response = login(world.org_admin).get(person_url(world.engineer))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Roles of Eddie Engineer" in html
    assert "<h1>Roles of Eddie Engineer</h1>" in html
    assert "Sales and below" in html
    assert "Olivia Admin" in html  # granted by
    assert 'x-data="roleAssignment"' in html
    assert "access/role_assignment.js" in html
    assert "data-confirm=" in html
    # Both scope fields are in the page, so it works without JavaScript.
    assert 'name="scope"' in html and 'id="id_org_unit"' in html
    offered = [str(label) for _, group in response.context["form"].fields["role"].choices[1:] for _, label in group]
    assert "Instructor" in offered and "Learner" not in offered


def test_role_viewer_sees_anyones_roles_without_the_assign_form(login, world):
    viewer = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(viewer, "auditor")
    response = login(viewer).get(person_url(world.instructor))
    assert response.status_code == 200
    assert response.context["can_assign"] is False
    assert b"Remove" not in response.content


def test_org_admin_assigns_a_role_through_the_page(login, world):
    response = login(world.org_admin).post(
        person_url(world.learner), {"role": builtin("reviewer").pk, "scope": "organization", "org_unit": world.sales.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == person_url(world.learner)
    assignment = RoleAssignment.objects.get(membership=world.learner)
    assert (assignment.role.key, assignment.scope, assignment.org_unit) == ("reviewer", "organization", None)
    assert assignment.granted_by == world.org_admin.user


def test_org_admin_assigns_a_role_for_an_org_unit_subtree(login, world):
    response = login(world.org_admin).post(
        person_url(world.engineer), {"role": builtin("manager").pk, "scope": "org_unit", "org_unit": world.sales.pk}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(membership=world.engineer)
    assert (assignment.scope, assignment.org_unit) == ("org_unit", world.sales)


def test_org_unit_scope_without_a_unit_shows_the_error_on_the_unit_field(login, world):
    response = login(world.org_admin).post(
        person_url(world.engineer), {"role": builtin("manager").pk, "scope": "org_unit"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["org_unit"] == [services.SCOPE_NEEDS_UNIT]
    assert b'aria-invalid="true"' in response.content
    assert not RoleAssignment.objects.filter(membership=world.engineer).exists()


def test_organisation_only_capabilities_are_refused_at_org_unit_scope_on_the_page(login, world):
    response = login(world.org_admin).post(
        person_url(world.engineer), {"role": builtin("org_admin").pk, "scope": "org_unit", "org_unit": world.sales.pk}
    )
    assert "org.manage" in " ".join(response.context["form"].errors["scope"])
    assert not RoleAssignment.objects.filter(membership=world.engineer).exists()


def test_another_organisations_role_or_unit_cannot_be_posted(login, world):
    theirs = custom_role(world, "Globex lead", [], organization=world.other_org, by=world.outsider.user)
    their_unit = OrgUnitFactory(organization=world.other_org)
    client = login(world.org_admin)
    response = client.post(person_url(world.engineer), {"role": theirs.pk, "scope": "organization"})
    assert "role" in response.context["form"].errors
    response = client.post(
        person_url(world.engineer), {"role": builtin("manager").pk, "scope": "org_unit", "org_unit": their_unit.pk}
    )
    assert "org_unit" in response.context["form"].errors
    assert not RoleAssignment.objects.filter(membership=world.engineer).exists()


def test_assigning_the_same_role_twice_shows_the_services_message(login, world):
    client = login(world.org_admin)
    data = {"role": builtin("reviewer").pk, "scope": "organization"}
    client.post(person_url(world.learner), data)
    response = client.post(person_url(world.learner), data)
    assert response.status_code == 200
    assert services.ALREADY_ASSIGNED in response.content.decode()


def test_org_admin_removes_a_role_through_the_page(login, world):
    assignment = world.instructor.role_assignments.get()
    response = login(world.org_admin).post(remove_url(assignment), follow=True)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert "Ingrid Instructor no longer has the role “Instructor”." in page_messages(response)


def test_removing_the_last_org_admin_is_refused_with_a_message(login, world):
    assignment = world.org_admin.role_assignments.get()
    response = login(world.org_admin).post(remove_url(assignment), follow=True)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert page_messages(response) == [services.LAST_ADMIN]


def test_remove_needs_post(login, world):
    assignment = world.instructor.role_assignments.get()
    assert login(world.org_admin).get(remove_url(assignment)).status_code == 405


def test_learner_cannot_remove_roles(login, world):
    assignment = world.instructor.role_assignments.get()
    assert login(world.learner).post(remove_url(assignment)).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


# --- query counts ------------------------------------------------------------------------------------------


def add_roles_and_assignments(world, count: int, batch: str) -> None:
    for number in range(count):
        role = custom_role(world, f"Role {batch}{number}", ["course.create"])
        person = MembershipFactory(organization=world.org, org_unit=world.sales)
        services.role_assign(membership=person, role=role, by=world.org_admin.user)
        grant(person, "reviewer")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_roles_list_takes_a_constant_number_of_queries_as_roles_and_assignments_grow(
    login, world, django_assert_max_num_queries
):
    client = login(world.org_admin)
    add_roles_and_assignments(world, 2, "a")
    baseline = count_queries(client, ROLES)
    add_roles_and_assignments(world, 15, "b")
    with django_assert_max_num_queries(baseline):
        response = client.get(ROLES)
    assert len(response.context["custom_rows"]) == 17


def test_person_roles_page_takes_a_constant_number_of_queries_as_assignments_grow(
    login, world, django_assert_max_num_queries
):
    client = login(world.org_admin)
    services.role_assign(membership=world.engineer, role=builtin("reviewer"), by=world.org_admin.user)
    baseline = count_queries(client, person_url(world.engineer))
    for unit in [world.hq, world.sales, world.sales_east, world.engineering]:
        services.role_assign(
            membership=world.engineer, role=builtin("manager"), by=world.org_admin.user, scope="org_unit", org_unit=unit
        )
    for number in range(5):
        role = custom_role(world, f"Role {number}", [])
        services.role_assign(membership=world.engineer, role=role, by=world.org_admin.user)
    with django_assert_max_num_queries(baseline):
        response = client.get(person_url(world.engineer))
    assert len(response.context["rows"]) == 10
