"""Privilege escalation through people data, found in review and kept closed by these tests."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.access.models import Role, RoleAssignment
from syllabus.access.policy import principal_for
from syllabus.accounts import services
from syllabus.accounts.models import OrgUnit
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineering_admin(world):
    """Manages and deactivates people, but only in Engineering and below."""
    membership = MembershipFactory(organization=world.org, org_unit=world.engineering)
    role = Role.objects.create(
        organization=world.org,
        key="unit-people-admin",
        name="Unit people admin",
        custom_capabilities=["people.view", "people.manage", "people.deactivate"],
    )
    RoleAssignment.objects.create(
        organization=world.org, membership=membership, role=role, scope="org_unit", org_unit=world.engineering
    )
    return membership


def test_a_subtree_admin_cannot_make_themselves_someones_manager(world, engineering_admin):
    with pytest.raises(PermissionDenied) as exc:
        services.membership_update(membership=world.engineer, by=engineering_admin.user, manager=engineering_admin)
    assert str(exc.value) == services.NEEDS_ORG_WIDE
    assert not principal_for(engineering_admin.user, world.org).can("people.view", world.report)


def test_a_subtree_admin_cannot_move_someone_out_of_every_unit(world, engineering_admin):
    with pytest.raises(PermissionDenied):
        services.membership_update(membership=world.engineer, by=engineering_admin.user, org_unit=None)


def test_a_subtree_admin_cannot_deactivate_an_org_admin_in_their_subtree(world, engineering_admin):
    second_admin = MembershipFactory(organization=world.org, org_unit=world.engineering)
    grant(second_admin, "org_admin")
    with pytest.raises(PermissionDenied) as exc:
        services.membership_deactivate(membership=second_admin, by=engineering_admin.user)
    assert str(exc.value) == services.OUTRANKS_YOU
    services.membership_deactivate(membership=second_admin, by=world.org_admin.user)
    with pytest.raises(PermissionDenied):
        services.membership_reactivate(membership=second_admin, by=engineering_admin.user)


def test_an_organisation_cannot_rename_someone_who_belongs_elsewhere_too(world):
    shared = MembershipFactory(organization=world.org, user=world.outsider.user)
    with pytest.raises(ValidationError) as exc:
        services.membership_update(membership=shared, by=world.org_admin.user, display_name="Renamed")
    assert exc.value.message_dict["display_name"] == [services.NAME_NOT_OURS]
    world.outsider.user.refresh_from_db()
    assert world.outsider.user.display_name == "Oscar Outsider"
    # Someone who belongs to this organisation only can be renamed by it.
    services.membership_update(membership=world.learner, by=world.org_admin.user, display_name="Lena L.")


def test_an_unknown_language_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=services.PersonInput(email="x@example.test", display_name="X", locale="xx-evil"),
        )
    assert "locale" in exc.value.message_dict


def test_deleting_an_attribute_clears_its_values_so_a_new_type_starts_clean(world):
    definition = services.attribute_definition_save(
        organization=world.org, by=world.org_admin.user, key="level", label="Level", type="text"
    )
    services.membership_update(membership=world.learner, by=world.org_admin.user, attributes={"level": "senior"})
    services.attribute_definition_delete(definition=definition, by=world.org_admin.user)
    world.learner.refresh_from_db()
    assert "level" not in world.learner.attributes


def test_an_org_unit_with_scoped_role_assignments_cannot_be_deleted(world):
    unit = services.org_unit_create(organization=world.org, by=world.org_admin.user, name="Audit")
    grant(world.engineer, "manager", org_unit=unit)
    with pytest.raises(ValidationError):
        services.org_unit_delete(unit=unit, by=world.org_admin.user)
    assert OrgUnit.objects.filter(pk=unit.pk).exists()


def test_a_move_uses_the_current_paths_not_the_callers_stale_copy(world):
    stale_sales = OrgUnit.objects.get(pk=world.sales.pk)
    stale_engineering = OrgUnit.objects.get(pk=world.engineering.pk)
    services.org_unit_update(unit=world.engineering, by=world.org_admin.user, parent=world.sales_east)
    # The second move crosses the first with rows loaded before it: it would create a cycle.
    with pytest.raises(ValidationError):
        services.org_unit_update(unit=stale_sales, by=world.org_admin.user, parent=stale_engineering)


def test_a_refused_settings_change_keeps_the_logo(world, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="PNG")
    logo = SimpleUploadedFile("l.png", out.getvalue(), content_type="image/png")
    org = services.organization_update(organization=world.org, by=world.org_admin.user, logo=logo)
    path = org.logo.path
    with pytest.raises(ValidationError):
        services.organization_update(
            organization=org, by=world.org_admin.user, remove_logo=True, primary_color="not-a-colour"
        )
    org.refresh_from_db()
    assert org.logo.path == path
    import os

    assert os.path.exists(path)


def test_manager_suggestions_only_show_people_the_caller_may_see(world, engineering_admin, client):
    from django.urls import reverse

    client.force_login(engineering_admin.user)
    response = client.get(reverse("accounts:person-manager-options"), {"manager": "Lena"})
    assert response.status_code == 200
    assert "Lena Learner" not in response.content.decode()
    response = client.get(reverse("accounts:person-manager-options"), {"manager": "Eddie"})
    assert "Eddie Engineer" in response.content.decode()


def test_a_persons_page_lists_only_the_reports_the_caller_may_see(world, engineering_admin, client):
    from django.urls import reverse

    # Eddie (Engineering) manages Lena (Sales East): the Engineering admin sees Eddie but not Lena.
    services.membership_update(membership=world.learner, by=world.org_admin.user, manager=world.engineer)
    client.force_login(engineering_admin.user)
    page = client.get(reverse("accounts:person-detail", args=[world.engineer.pk])).content.decode()
    assert "Eddie Engineer" in page and "Lena Learner" not in page
