"""Writes to people and the organisation structure, through the services."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts import services
from syllabus.accounts.attributes import NOT_A_CHOICE, NOT_A_DATE, REQUIRED_ATTRIBUTE, UNKNOWN_ATTRIBUTE
from syllabus.accounts.events import MembershipDeactivated, PersonCreated
from syllabus.accounts.images import LOGO_NOT_IMAGE
from syllabus.accounts.models import ApiToken, Membership, OrgUnit, User
from syllabus.core import events
from tests.factories import AttributeDefinitionFactory, MembershipFactory, grant

pytestmark = pytest.mark.django_db


def admin(world):
    return world.org_admin.user


# --- org units ------------------------------------------------------------------------------------------


def test_org_unit_paths_nest_under_their_parent(world):
    unit = services.org_unit_create(organization=world.org, by=admin(world), name="Sales West", parent=world.sales)
    assert unit.path == f"{world.sales.path}{unit.pk}/"
    assert unit.depth == world.sales.depth + 1


def test_moving_an_org_unit_rewrites_the_whole_subtree(world):
    services.org_unit_update(unit=world.sales, by=admin(world), parent=world.engineering)
    world.sales_east.refresh_from_db()
    world.sales.refresh_from_db()
    assert world.sales.path == f"{world.engineering.path}{world.sales.pk}/"
    assert world.sales_east.path == f"{world.sales.path}{world.sales_east.pk}/"
    assert world.sales_east.depth == 3
    subtree = OrgUnit.objects.filter(OrgUnit.subtree_q(world.engineering.path))
    assert set(subtree) == {world.engineering, world.sales, world.sales_east}


def test_an_org_unit_cannot_move_under_its_own_descendant(world):
    with pytest.raises(ValidationError) as exc:
        services.org_unit_update(unit=world.sales, by=admin(world), parent=world.sales_east)
    assert services.ORG_UNIT_CYCLE in exc.value.message_dict["parent"]


def test_an_org_unit_cannot_get_a_parent_from_another_organisation(world):
    other_unit = OrgUnit.objects.filter(organization=world.other_org).first()
    with pytest.raises(ValidationError):
        services.org_unit_update(unit=world.sales, by=admin(world), parent=other_unit)


def test_an_org_unit_with_people_cannot_be_deleted(world):
    with pytest.raises(ValidationError):
        services.org_unit_delete(unit=world.sales_east, by=admin(world))
    empty = services.org_unit_create(organization=world.org, by=admin(world), name="Empty")
    services.org_unit_delete(unit=empty, by=admin(world))
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()


def test_a_learner_cannot_change_the_structure(world):
    with pytest.raises(PermissionDenied):
        services.org_unit_create(organization=world.org, by=world.learner.user, name="Rogue")


# --- people ---------------------------------------------------------------------------------------------


def test_org_admin_creates_a_person_with_hr_data_and_an_event_fires(world, django_capture_on_commit_callbacks):
    seen = []
    events.subscribe(PersonCreated, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            membership = services.person_create(
                organization=world.org,
                by=admin(world),
                person=services.PersonInput(email="New.Person@Example.test", display_name="New Person"),
                org_unit=world.sales,
                manager=world.manager,
                employee_id="E-100",
            )
    finally:
        events.unsubscribe(PersonCreated, seen.append)
    assert membership.user.email == "new.person@example.test"
    assert membership.manager == world.manager
    assert not membership.user.has_usable_password()
    assert seen == [PersonCreated(world.org.pk, membership.pk, membership.user.pk, admin(world).pk)]


def test_a_person_already_in_another_organisation_joins_without_a_new_user(world):
    outsider_user = world.outsider.user
    membership = services.person_create(
        organization=world.org,
        by=admin(world),
        person=services.PersonInput(email=outsider_user.email, display_name="ignored"),
    )
    assert membership.user == outsider_user
    assert User.objects.filter(email=outsider_user.email).count() == 1


def test_the_same_person_cannot_join_twice(world):
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            organization=world.org,
            by=admin(world),
            person=services.PersonInput(email=world.learner.user.email, display_name="Again"),
        )
    assert "email" in exc.value.message_dict


def test_employee_ids_are_unique_within_an_organisation_only(world):
    services.membership_update(membership=world.learner, by=admin(world), employee_id="E-1")
    with pytest.raises(ValidationError) as exc:
        services.membership_update(membership=world.engineer, by=admin(world), employee_id="E-1")
    assert "employee_id" in exc.value.message_dict
    # Another organisation may use the same id.
    other_admin = world.outsider.user
    services.membership_update(membership=world.outsider, by=other_admin, employee_id="E-1")


def test_a_manager_cycle_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.membership_update(membership=world.manager, by=admin(world), manager=world.indirect_report)
    assert services.MANAGER_CYCLE in exc.value.message_dict["manager"]


def test_a_manager_from_another_organisation_is_refused(world):
    with pytest.raises(ValidationError):
        services.membership_update(membership=world.learner, by=admin(world), manager=world.outsider)


def test_an_org_unit_admin_can_only_manage_people_in_their_subtree(world):
    sales_admin = MembershipFactory(organization=world.org, org_unit=world.sales)
    role = Role.objects.create(
        organization=world.org, key="people-admin", name="People admin", custom_capabilities=["people.manage"]
    )
    RoleAssignment.objects.create(
        organization=world.org, membership=sales_admin, role=role, scope="org_unit", org_unit=world.sales
    )
    services.membership_update(membership=world.learner, by=sales_admin.user, employee_id="S-1")
    with pytest.raises(PermissionDenied):
        services.membership_update(membership=world.engineer, by=sales_admin.user, employee_id="X-1")
    # Nor may they move someone out of their subtree.
    with pytest.raises(PermissionDenied):
        services.membership_update(membership=world.learner, by=sales_admin.user, org_unit=world.engineering)


def test_deactivation_keeps_the_person_but_revokes_their_tokens(world, django_capture_on_commit_callbacks):
    token, _key = services.api_token_create(membership=world.learner, by=world.learner.user, name="script")
    seen = []
    events.subscribe(MembershipDeactivated, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.membership_deactivate(membership=world.learner, by=admin(world))
    finally:
        events.unsubscribe(MembershipDeactivated, seen.append)
    world.learner.refresh_from_db()
    assert world.learner.is_active is False and world.learner.deactivated_at is not None
    assert world.learner.user.is_active  # the global user stays: they may belong elsewhere
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert len(seen) == 1
    services.membership_reactivate(membership=world.learner, by=admin(world))
    world.learner.refresh_from_db()
    assert world.learner.is_active


def test_nobody_deactivates_themselves(world):
    with pytest.raises(ValidationError):
        services.membership_deactivate(membership=world.org_admin, by=admin(world))


def test_the_last_org_admin_cannot_be_deactivated_even_by_a_platform_admin(world):
    with pytest.raises(ValidationError) as exc:
        services.membership_deactivate(membership=world.org_admin, by=world.platform_admin)
    assert exc.value.messages == [services.LAST_ORG_ADMIN]
    second = MembershipFactory(organization=world.org)
    grant(second, "org_admin")
    services.membership_deactivate(membership=world.org_admin, by=world.platform_admin)


def test_a_manager_cannot_deactivate_their_reports(world):
    with pytest.raises(PermissionDenied):
        services.membership_deactivate(membership=world.report, by=world.manager.user)


# --- custom attributes ----------------------------------------------------------------------------------


@pytest.fixture
def attributes(world):
    return {
        "grade": AttributeDefinitionFactory(
            organization=world.org, key="grade", label="Grade", type="choice", choices=["A", "B"]
        ),
        "fte": AttributeDefinitionFactory(organization=world.org, key="fte", label="FTE", type="number"),
        "badge_expiry": AttributeDefinitionFactory(
            organization=world.org, key="badge_expiry", label="Badge expiry", type="date"
        ),
        "cost_center": AttributeDefinitionFactory(
            organization=world.org, key="cost_center", label="Cost centre", type="text", required=True
        ),
    }


def test_custom_attributes_are_validated_and_stored_typed(world, attributes):
    membership = services.membership_update(
        membership=world.learner,
        by=admin(world),
        attributes={"grade": "A", "fte": "0.8", "badge_expiry": "2027-01-31", "cost_center": " CC-12 "},
    )
    assert membership.attributes == {"grade": "A", "fte": 0.8, "badge_expiry": "2027-01-31", "cost_center": "CC-12"}
    assert Membership.objects.filter(attributes__fte=0.8, attributes__grade="A").get() == world.learner


def test_every_bad_attribute_is_named_in_one_error(world, attributes):
    with pytest.raises(ValidationError) as exc:
        services.membership_update(
            membership=world.learner,
            by=admin(world),
            attributes={"grade": "Z", "badge_expiry": "31/01/2027", "shoe_size": "44", "cost_center": ""},
        )
    errors = exc.value.message_dict
    assert errors["attributes.grade"] == [NOT_A_CHOICE.format(value="Z", choices="A, B")]
    assert errors["attributes.badge_expiry"] == [NOT_A_DATE.format(value="31/01/2027")]
    assert errors["attributes.shoe_size"] == [UNKNOWN_ATTRIBUTE.format(key="shoe_size")]
    assert errors["attributes.cost_center"] == [REQUIRED_ATTRIBUTE]
    world.learner.refresh_from_db()
    assert world.learner.attributes == {}


def test_a_required_attribute_must_be_given_when_creating_a_person(world, attributes):
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            organization=world.org,
            by=admin(world),
            person=services.PersonInput(email="x@example.test", display_name="X"),
        )
    assert exc.value.message_dict["attributes.cost_center"] == [REQUIRED_ATTRIBUTE]
    assert not User.objects.filter(email="x@example.test").exists()


def test_a_number_attribute_rejects_booleans_and_nan(world, attributes):
    for bad in (True, "NaN", "abc"):
        with pytest.raises(ValidationError):
            services.membership_update(
                membership=world.learner, by=admin(world), attributes={"fte": bad, "cost_center": "C"}
            )


# --- organisation settings ------------------------------------------------------------------------------


def _png(size: tuple[int, int] = (64, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return out.getvalue()


def test_logo_is_re_encoded_and_stored(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("evil.svg", _png(), content_type="image/svg+xml")
    org = services.organization_update(organization=world.org, by=admin(world), logo=upload, name="Acme Care")
    assert org.name == "Acme Care"
    assert org.logo.name.endswith(".png")
    with Image.open(org.logo.path) as stored:
        assert stored.format == "PNG"


def test_a_logo_that_is_not_an_image_is_refused_and_nothing_changes(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.organization_update(organization=world.org, by=admin(world), logo=upload, name="Changed")
    assert exc.value.message_dict["logo"] == [LOGO_NOT_IMAGE]
    world.org.refresh_from_db()
    assert world.org.name == "Acme Health"


def test_bad_colours_and_time_zones_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.organization_update(
            organization=world.org, by=admin(world), primary_color="red", default_time_zone="Mars/Olympus"
        )
    assert set(exc.value.message_dict) == {"primary_color", "default_time_zone"}


def test_only_platform_admins_create_organisations(world):
    with pytest.raises(PermissionDenied):
        services.organization_create(by=admin(world), name="Rogue", slug="rogue")
    org = services.organization_create(
        by=world.platform_admin, name="Initech", slug="initech", admin=world.learner.user
    )
    from syllabus.access.policy import principal_for

    assert principal_for(world.learner.user, org).can("org.manage")


# --- API tokens -----------------------------------------------------------------------------------------


def test_token_key_is_shown_once_and_only_its_digest_is_stored(world):
    token, key = services.api_token_create(membership=world.learner, by=world.learner.user, name="cli")
    assert key not in token.key_digest and token.key_digest == services.token_digest(key)
    assert services.api_token_authenticate(key) == token
    assert services.api_token_authenticate(key + "x") is None


def test_nobody_mints_a_token_for_someone_else_not_even_a_token_manager(world):
    # A token acts as its holder everywhere: minting one for a platform admin who was added to this organisation
    # would hand an org admin the whole platform.
    world.platform_admin.memberships.create(organization=world.org)
    for target in (world.learner, world.platform_admin.memberships.get(organization=world.org)):
        with pytest.raises(PermissionDenied) as exc:
            services.api_token_create(membership=target, by=admin(world), name="take-over")
        assert str(exc.value) == services.TOKEN_FOR_OTHERS


def test_a_revoked_or_expired_token_no_longer_authenticates(world):
    import datetime as dt

    from syllabus.core import clock

    token, key = services.api_token_create(membership=world.learner, by=world.learner.user, name="a")
    services.api_token_revoke(token=token, by=world.learner.user)
    assert services.api_token_authenticate(key) is None
    _token, key2 = services.api_token_create(
        membership=world.learner, by=world.learner.user, name="b", expires_at=clock.now() - dt.timedelta(seconds=1)
    )
    assert services.api_token_authenticate(key2) is None


def test_a_person_stays_editable_after_one_of_their_attributes_is_deleted(world, attributes):
    services.membership_update(membership=world.learner, by=admin(world), attributes={"grade": "A", "cost_center": "C"})
    services.attribute_definition_delete(definition=attributes["grade"], by=admin(world))
    world.learner.refresh_from_db()
    membership = services.membership_update(membership=world.learner, by=admin(world), attributes={"fte": "1"})
    assert membership.attributes == {"cost_center": "C", "fte": 1}
