"""Data-protection requests: an org admin exports a person's data and erases a person; the trail stays valid."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import escape

from syllabus.access.models import RoleAssignment
from syllabus.accounts import services as accounts_services
from syllabus.accounts.models import ApiToken, Membership, User, UserSession
from syllabus.accounts.privacy import ERASED_NAME, erased_email
from syllabus.accounts.services import LAST_ORG_ADMIN
from syllabus.audit import services
from syllabus.audit.forms import EMAIL_MISMATCH
from syllabus.audit.models import AuditPersonal, AuditRecord, AuditSubject
from syllabus.audit.selectors import audit_rows
from syllabus.audit.verification import verify_organization
from syllabus.core.privacy import providers
from tests.audit.conftest import chain_records, from_ip, sign_in, write
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world):
    """The learner has HR data, a token, a session, and records by and about them."""
    Membership.objects.filter(pk=world.learner.pk).update(
        employee_id="E-42", attributes={"cost_center": "CC-1"}, hire_date="2024-02-01"
    )
    world.learner.refresh_from_db()
    accounts_services.api_token_create(membership=world.learner, by=world.learner.user, name="laptop")
    UserSession.objects.create(user=world.learner.user, session_key="k" * 32, ip_address="192.0.2.8", user_agent="UA")
    with from_ip("192.0.2.8"):
        write(world.org, "auth.signed_in", world.learner.user, target=world.learner.user)
    write(
        world.org,
        "membership.changed",
        world.org_admin.user,
        target=world.learner,
        personal_before={"employee_id": ""},
        personal_after={"employee_id": "E-42"},
    )
    write(world.org, "test.unrelated", world.org_admin.user, target=world.engineer)
    write(world.other_org, "test.elsewhere", world.outsider.user)


# --- export --------------------------------------------------------------------------------------------------


def test_the_export_holds_profile_hr_data_roles_tokens_and_audit_records(world, history):
    data = services.privacy_export(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    accounts = data["apps"]["accounts"]
    assert accounts["profile"]["email"] == world.learner.user.email
    (membership,) = accounts["memberships"]
    assert (membership["organization"], membership["employee_id"], membership["attributes"]) == (
        "Acme Health",
        "E-42",
        {"cost_center": "CC-1"},
    )
    assert membership["org_unit"] == "Sales East"
    assert [token["name"] for token in membership["api_tokens"]] == ["laptop"]
    assert "key_digest" not in json.dumps(accounts)
    records = data["apps"]["audit"]["records"]
    assert [(r["action"], r["as"]) for r in records] == [("auth.signed_in", "actor"), ("membership.changed", "subject")]
    assert records[0]["ip_address"] == "192.0.2.8"
    assert records[1]["after"] == {"employee_id": "E-42"}
    assert "sessions" not in accounts  # sessions span organisations: not in one organisation's export
    json.dumps(data)  # JSON-ready


def test_the_export_holds_nothing_from_other_organisations_nor_other_peoples_personal_data(world, history):
    MembershipFactory(organization=world.other_org, user=world.learner.user, employee_id="G-1")
    with from_ip("198.51.100.99"):
        write(world.org, "test.about", world.org_admin.user, target=world.learner)
    data = json.dumps(services.privacy_export(user=world.learner.user, organization=world.org, by=world.org_admin.user))
    assert "G-1" not in data and "Globex" not in data
    assert "198.51.100.99" not in data  # the admin's address is the admin's personal data


def test_the_export_is_recorded(world, history):
    services.privacy_export(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    record = chain_records(world.org)[-1]
    assert (record.action, record.after) == ("person.exported", {"apps": sorted(p.app_label for p in providers())})
    assert {"accounts", "audit"} <= set(record.after["apps"])
    assert audit_rows([record])[0].target == "Lena Learner"


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "outsider"])
def test_only_people_holding_people_privacy_may_export(world, history, persona):
    with pytest.raises(PermissionDenied):
        services.privacy_export(user=world.learner.user, organization=world.org, by=getattr(world, persona).user)


# --- erasure -------------------------------------------------------------------------------------------------


def test_erasing_pseudonymises_the_account_and_clears_hr_data(world, history):
    learner = world.learner.user
    old_email = learner.email
    services.privacy_erase(user=learner, organization=world.org, by=world.org_admin.user)
    learner.refresh_from_db()
    assert (learner.email, learner.display_name, learner.is_active) == (erased_email(learner), ERASED_NAME, False)
    assert not learner.has_usable_password()
    assert authenticate(username=old_email, password=PASSWORD) is None
    membership = Membership.objects.get(pk=world.learner.pk)
    assert (membership.is_active, membership.employee_id, membership.attributes, membership.hire_date) == (
        False,
        "",
        {},
        None,
    )
    assert membership.org_unit_id == world.sales_east.pk  # the department is the organisation's, not theirs
    assert not ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).exists()
    session = UserSession.objects.get(user=learner)
    assert session.ended_at is not None and session.ip_address is None


def test_erasing_keeps_the_chain_valid_and_the_records_without_personal_data(world, history):
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert verify_organization(world.org).ok
    rows = audit_rows(chain_records(world.org))
    assert [row.record.action for row in rows] == [
        "auth.signed_in",
        "membership.changed",
        "test.unrelated",
        "person.erased",
    ]
    assert [row.target for row in rows] == ["Erased person", "Erased person", "Eddie Engineer", "Erased person"]
    assert rows[0].actor == "Erased person" and rows[3].actor == "Olivia Admin"
    dump = json.dumps([(row.before, row.after, row.ip_address) for row in rows])
    assert "E-42" not in dump and "192.0.2.8" not in dump


def test_the_erasure_is_recorded_naming_the_apps_that_erased(world, history):
    erased = services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    # Every registered app, last registered first: accounts (first in INSTALLED_APPS) erases last.
    assert erased == [p.app_label for p in reversed(providers())]
    assert erased[-1] == "accounts" and "audit" in erased
    record = chain_records(world.org)[-1]
    assert (record.action, record.after) == ("person.erased", {"apps": erased})


def test_a_person_can_be_erased_again_harmlessly(world, history):
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert verify_organization(world.org).ok


def test_failed_sign_ins_typed_with_their_address_are_erased_too(world, history):
    # Before they had an account, someone tried their address: an unknown-email subject in the platform chain.
    subject = services.subject_for_email(world.learner.user.email)
    services.audit_record_for_subjects(
        organization=None, action="auth.sign_in_failed", actor_subject=None, target=None, target_subject=subject
    )
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert not AuditSubject.objects.filter(subject_id=subject).exists()
    assert verify_organization(None, platform=True).ok


def test_nobody_can_erase_themselves(world):
    with pytest.raises(ValidationError, match=services.CANNOT_ERASE_SELF):
        services.privacy_erase(user=world.org_admin.user, organization=world.org, by=world.org_admin.user)


def test_the_last_org_admin_cannot_be_erased_and_nothing_changes(world, history):
    with pytest.raises(ValidationError, match=LAST_ORG_ADMIN):
        services.privacy_erase(user=world.org_admin.user, organization=world.org, by=world.platform_admin)
    world.org_admin.user.refresh_from_db()
    assert world.org_admin.user.display_name == "Olivia Admin"
    assert not AuditRecord.objects.filter(action="person.erased").exists()  # rolled back with it


def test_only_a_platform_admin_can_erase_someone_who_belongs_to_another_organisation(world, history):
    MembershipFactory(organization=world.other_org, user=world.learner.user)
    with pytest.raises(ValidationError, match="another organisation"):
        services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.platform_admin)
    assert not Membership.objects.filter(user=world.learner.user, is_active=True).exists()


@pytest.mark.parametrize("persona", ["learner", "manager", "outsider"])
def test_only_people_holding_people_privacy_may_erase(world, history, persona):
    with pytest.raises(PermissionDenied):
        services.privacy_erase(user=world.learner.user, organization=world.org, by=getattr(world, persona).user)


def test_someone_of_another_organisation_cannot_be_erased_from_here(world):
    with pytest.raises(PermissionDenied, match=services.NOT_A_MEMBER):
        services.privacy_erase(user=world.outsider.user, organization=world.org, by=world.org_admin.user)


def test_erasure_ends_real_sessions(client, world):
    person = MembershipFactory(organization=world.org, user=UserFactory())
    sign_in(client, person.user)
    key = client.session.session_key
    UserSession.objects.get_or_create(user=person.user, session_key=key)
    services.privacy_erase(user=person.user, organization=world.org, by=world.org_admin.user)
    assert not Session.objects.filter(session_key=key).exists()


def test_role_assignments_stay_but_grant_nothing_once_erased(world, history):
    from tests.factories import grant

    grant(world.learner, "instructor")
    services.privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)
    assert RoleAssignment.objects.filter(membership=world.learner).exists()
    from syllabus.access import policy

    assert not policy.can(User.objects.get(pk=world.learner.user.pk), "course.edit", world.org)


# --- pages ---------------------------------------------------------------------------------------------------


def privacy_url(name, membership):
    return reverse(f"audit:{name}", args=[membership.pk])


def test_the_person_page_links_to_their_personal_data_for_org_admins_only(client, world):
    detail = reverse("accounts:person-detail", args=[world.learner.pk])
    sign_in(client, world.org_admin.user)
    assert privacy_url("person-privacy", world.learner).encode() in client.get(detail).content
    sign_in(client, world.manager.user)
    response = client.get(reverse("accounts:person-detail", args=[world.report.pk]))
    assert response.status_code == 200
    assert b"/privacy/" not in response.content


@pytest.mark.parametrize("name", ["person-privacy", "person-erase"])
def test_a_learner_gets_403_on_the_privacy_pages(client, world, name):
    sign_in(client, world.learner.user)
    assert client.get(privacy_url(name, world.engineer)).status_code == 403
    assert client.post(privacy_url("person-export", world.engineer)).status_code == 403


def test_another_organisations_person_is_not_found(client, world):
    sign_in(client, world.org_admin.user)
    assert client.get(privacy_url("person-privacy", world.outsider)).status_code == 404
    assert client.post(privacy_url("person-export", world.outsider)).status_code == 404
    assert client.post(privacy_url("person-erase", world.outsider), {"confirm_email": "x"}).status_code == 404


def test_the_export_downloads_as_json(client, world, history):
    sign_in(client, world.org_admin.user)
    assert client.get(privacy_url("person-export", world.learner)).status_code == 405
    response = client.post(privacy_url("person-export", world.learner))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert f"personal-data-acme-{world.learner.pk}.json" in response["Content-Disposition"]
    assert json.loads(response.content)["apps"]["accounts"]["memberships"][0]["employee_id"] == "E-42"


def test_erasing_needs_the_email_typed_to_confirm(client, world, history):
    sign_in(client, world.org_admin.user)
    url = privacy_url("person-erase", world.learner)
    assert client.get(url).status_code == 200
    response = client.post(url, {"confirm_email": "someone@else.test"})
    assert response.status_code == 200
    assert escape(str(EMAIL_MISMATCH)) in response.content.decode()
    assert User.objects.get(pk=world.learner.user.pk).is_active


def test_erasing_through_the_page(client, world, history):
    sign_in(client, world.org_admin.user)
    email = world.learner.user.email
    response = client.post(privacy_url("person-erase", world.learner), {"confirm_email": email.upper()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:person-detail", args=[world.learner.pk])
    assert b"was erased" in response.content
    assert User.objects.get(pk=world.learner.user.pk).display_name == ERASED_NAME


def test_a_refused_erasure_is_shown_on_the_page(client, world):
    sign_in(client, world.org_admin.user)
    url = privacy_url("person-erase", world.org_admin)
    response = client.post(url, {"confirm_email": world.org_admin.user.email})
    assert response.status_code == 200
    assert services.CANNOT_ERASE_SELF.encode() in response.content


def test_erased_personal_parts_are_gone_from_the_database(world, history):
    learner = world.learner.user
    subject_ids = list(AuditSubject.objects.filter(user=learner).values_list("subject_id", flat=True))
    assert AuditPersonal.objects.filter(subject_id__in=subject_ids).exists()
    services.privacy_erase(user=learner, organization=world.org, by=world.org_admin.user)
    assert not AuditPersonal.objects.filter(subject_id__in=subject_ids).exists()
