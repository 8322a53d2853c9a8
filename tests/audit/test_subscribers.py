"""Every domain event of accounts and access leaves the right record in the right chain."""

from __future__ import annotations

import hashlib
import logging

import pytest

from syllabus.access import events as access_events
from syllabus.access import services as access_services
from syllabus.access.models import Role
from syllabus.accounts import events as accounts_events
from syllabus.accounts import services as accounts_services
from syllabus.accounts.models import Membership
from syllabus.audit import subscribers
from syllabus.audit.models import AuditPersonal, AuditRecord, AuditSubject
from syllabus.audit.selectors import audit_rows
from syllabus.audit.verification import verify_all
from syllabus.core.events import emit
from tests.audit.conftest import chain_records, from_ip
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def only(organization) -> AuditRecord:
    records = chain_records(organization)
    assert len(records) == 1, [record.action for record in records]
    return records[0]


def row(record: AuditRecord):
    return audit_rows([record])[0]


# --- people and structure -----------------------------------------------------------------------------------


def test_adding_a_person_records_who_added_whom_with_their_hr_data_kept_erasable(world, run_events):
    with run_events():
        membership = accounts_services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=accounts_services.PersonInput(email="nora@example.test", display_name="Nora Newcomer"),
            org_unit=world.sales,
            employee_id="E-77",
        )
    record = only(world.org)
    assert record.action == "person.created"
    assert (record.target_type, record.target_id) == ("accounts.membership", str(membership.pk))
    assert record.after["org_unit_id"] == world.sales.pk
    assert "E-77" not in str(record.after)
    shown = row(record)
    assert (shown.actor, shown.target, shown.after["employee_id"]) == ("Olivia Admin", "Nora Newcomer", "E-77")


def test_a_membership_change_records_only_what_changed_and_keeps_names_out_of_the_chain(world, run_events):
    with run_events():
        accounts_services.membership_update(
            membership=world.learner,
            by=world.org_admin.user,
            display_name="Lena Lerner",
            org_unit=world.engineering,
            employee_id="E-5",
        )
    record = only(world.org)
    assert record.action == "membership.changed"
    assert record.before == {"org_unit_id": world.sales_east.pk}
    assert record.after == {"org_unit_id": world.engineering.pk}
    part = AuditPersonal.objects.get(record=record, subject_id=record.target_subject)
    assert part.data["before"] == {"display_name": "Lena Learner", "employee_id": ""}
    assert part.data["after"] == {"display_name": "Lena Lerner", "employee_id": "E-5"}
    assert {c.field for c in row(record).changes} == {"org_unit_id", "display_name", "employee_id"}


def test_deactivation_and_reactivation_are_recorded(world, run_events):
    with run_events():
        accounts_services.membership_deactivate(membership=world.learner, by=world.org_admin.user)
        accounts_services.membership_reactivate(membership=world.learner, by=world.org_admin.user)
    actions = [(r.action, r.before, r.after) for r in chain_records(world.org)]
    assert actions == [
        ("membership.deactivated", {"is_active": True}, {"is_active": False}),
        ("membership.reactivated", {"is_active": False}, {"is_active": True}),
    ]
    assert {row(r).target for r in chain_records(world.org)} == {"Lena Learner"}


def test_organisation_settings_changes_name_the_fields(world, run_events):
    with run_events():
        accounts_services.organization_update(organization=world.org, by=world.org_admin.user, name="Acme Care")
    record = only(world.org)
    assert (record.action, record.after, record.target_type) == (
        "organization.changed",
        {"fields": ["name"]},
        "accounts.organization",
    )


def test_a_new_organisation_starts_its_chain_with_its_creation(world, run_events):
    with run_events():
        organization = accounts_services.organization_create(by=world.platform_admin, name="Initech", slug="initech")
    assert [r.action for r in chain_records(organization)] == ["organization.created"]


def test_org_unit_moves_record_the_old_and_new_path(world, run_events):
    with run_events():
        accounts_services.org_unit_update(unit=world.sales_east, by=world.org_admin.user, parent=world.engineering)
    moved = [r for r in chain_records(world.org) if r.action == "org_unit.moved"]
    assert len(moved) == 1
    assert moved[0].before == {"path": f"{world.sales.path}{world.sales_east.pk}/"}
    assert moved[0].after == {"path": f"{world.engineering.path}{world.sales_east.pk}/"}


def test_structure_and_reference_data_changes_are_recorded(world, run_events):
    with run_events():
        emit(accounts_events.OrgUnitChanged(world.org.pk, world.sales.pk, "updated", world.org_admin.user.pk))
        emit(accounts_events.ReferenceDataChanged(world.org.pk, "job_role", 41, "created", world.org_admin.user.pk))
    assert [(r.action, r.target_type, r.target_id) for r in chain_records(world.org)] == [
        ("org_unit.updated", "accounts.orgunit", str(world.sales.pk)),
        ("job_role.created", "accounts.jobrole", "41"),
    ]


def test_an_hr_import_is_one_summary_record_not_one_per_person(world, run_events):
    with run_events():
        emit(accounts_events.PeopleImported(world.org.pk, 9, 2, 1, 0, world.org_admin.user.pk, (31, 7, 12)))
    record = only(world.org)
    assert record.action == "people.imported"
    assert record.summary == {
        "count": 3,
        "ids_digest": hashlib.sha256(b"12\n31\n7").hexdigest(),
        "created": 2,
        "updated": 1,
        "deactivated": 0,
    }


def test_api_tokens_created_and_revoked_are_recorded_without_their_key(world, run_events):
    with run_events():
        token, key = accounts_services.api_token_create(membership=world.learner, by=world.learner.user, name="ci")
        accounts_services.api_token_revoke(token=token, by=world.org_admin.user)
    created, revoked = chain_records(world.org)
    assert created.action == "api_token.created" and revoked.action == "api_token.revoked"
    assert created.after["prefix"] == token.prefix
    assert key not in str(created.after) and token.key_digest not in str(created.after)
    assert (row(created).actor, row(revoked).actor, row(revoked).target) == (
        "Lena Learner",
        "Olivia Admin",
        "Lena Learner",
    )


# --- roles ----------------------------------------------------------------------------------------------------


def test_role_assignments_and_removals_are_recorded(world, run_events):
    instructor = Role.objects.get(organization__isnull=True, key="instructor")
    with run_events():
        assignment = access_services.role_assign(membership=world.learner, role=instructor, by=world.org_admin.user)
        access_services.role_unassign(assignment=assignment, by=world.org_admin.user)
    assigned, removed = chain_records(world.org)
    assert (assigned.action, assigned.after["role"], assigned.after["scope"]) == (
        "role.assigned",
        "instructor",
        "organization",
    )
    assert (removed.action, removed.before["role"]) == ("role.unassigned", "instructor")
    assert row(assigned).target == "Lena Learner"


def test_custom_role_changes_record_the_capabilities(world, run_events):
    with run_events():
        role = access_services.role_create(
            organization=world.org, by=world.org_admin.user, name="Auditor light", capabilities=["audit.view"]
        )
    record = only(world.org)
    assert (record.action, record.target_type, record.target_id, record.after) == (
        "role.created",
        "access.role",
        str(role.pk),
        {"capabilities": ["audit.view"]},
    )


def test_role_events_emitted_directly_are_recorded_too(world, run_events):
    with run_events():
        emit(access_events.RoleChanged(world.org.pk, 5, "deleted", (), world.org_admin.user.pk))
    assert only(world.org).action == "role.deleted"


# --- sign-in and account security ----------------------------------------------------------------------------


def test_a_sign_in_is_recorded_in_every_organisation_of_the_person_with_their_address(world, run_events):
    both = UserFactory(display_name="Tess Twohats")
    MembershipFactory(organization=world.org, user=both)
    MembershipFactory(organization=world.other_org, user=both)
    MembershipFactory(organization=OrganizationFactory(slug="left"), user=both, is_active=False)
    with run_events():
        emit(accounts_events.UserSignedIn(user_id=both.pk, ip_address="203.0.113.5", two_factor=True))
    for organization in (world.org, world.other_org):
        record = only(organization)
        assert (record.action, record.after) == ("auth.signed_in", {"two_factor": True})
        shown = row(record)
        assert (shown.actor, shown.target, shown.ip_address) == ("Tess Twohats", "Tess Twohats", "203.0.113.5")
    assert AuditRecord.objects.count() == 2


def test_sign_ins_of_people_without_an_organisation_go_to_the_platform_chain(world, run_events):
    with run_events():
        emit(accounts_events.UserSignedIn(user_id=world.platform_admin.pk, ip_address=None, two_factor=False))
    assert only(None).action == "auth.signed_in"


def test_the_address_comes_from_the_request_when_the_event_has_none(world, run_events):
    with from_ip("192.0.2.44", "Mozilla/5.0 Firefox/140.0"), run_events():
        emit(accounts_events.UserSignedOut(user_id=world.learner.user.pk, ip_address=None))
    shown = row(only(world.org))
    assert (shown.ip_address, shown.user_agent) == ("192.0.2.44", "Mozilla/5.0 Firefox/140.0")


def test_a_failed_sign_in_for_a_known_email_has_no_actor_and_targets_the_account(world, run_events):
    with run_events():
        email = world.learner.user.email.upper()  # as typed
        emit(accounts_events.SignInFailed(email=email, ip_address="198.51.100.1", reason="password"))
    record = only(world.org)
    assert (record.action, record.actor_subject, record.after) == ("auth.sign_in_failed", None, {"reason": "password"})
    shown = row(record)
    assert (shown.actor, shown.target, shown.ip_address) == ("System", "Lena Learner", "198.51.100.1")


def test_a_failed_sign_in_for_an_unknown_email_goes_to_the_platform_chain_under_its_own_subject(world, run_events):
    with run_events():
        emit(accounts_events.SignInFailed(email="nobody@example.test", ip_address="198.51.100.2", reason="password"))
        emit(accounts_events.SignInFailed(email="nobody@example.test", ip_address="198.51.100.3", reason="password"))
    first, second = chain_records(None)
    assert first.target_subject == second.target_subject
    subject = AuditSubject.objects.get(subject_id=first.target_subject)
    assert (subject.user, subject.email) == (None, "nobody@example.test")
    assert "nobody@example.test" not in str(first.after)
    assert row(second).ip_address == "198.51.100.3"
    assert not AuditRecord.objects.filter(organization=world.org).exists()


def test_lockouts_unlocks_and_account_security_changes_are_recorded(world, run_events):
    user, admin = world.learner.user, world.org_admin.user
    with run_events():
        emit(accounts_events.UserLockedOut(email=user.email, ip_address="198.51.100.9"))
        emit(accounts_events.UserUnlocked(email=user.email, actor_id=admin.pk))
        emit(accounts_events.PasswordChanged(user_id=user.pk, actor_id=user.pk, via_reset=True))
        emit(accounts_events.TwoFactorChanged(user_id=user.pk, actor_id=user.pk, action="enabled"))
        emit(accounts_events.SessionsEnded(user_id=user.pk, actor_id=admin.pk, count=3))
        emit(accounts_events.ProfileChanged(user_id=user.pk, actor_id=user.pk, fields=("locale", "display_name")))
    assert [(r.action, r.after) for r in chain_records(world.org)] == [
        ("auth.locked_out", None),
        ("auth.unlocked", None),
        ("auth.password_changed", {"via_reset": True}),
        ("auth.two_factor_changed", {"change": "enabled"}),
        ("auth.sessions_ended", {"count": 3}),
        ("profile.changed", {"fields": ["display_name", "locale"]}),
    ]
    assert [row(r).actor for r in chain_records(world.org)][:2] == ["System", "Olivia Admin"]


def test_every_event_type_of_accounts_and_access_has_a_subscriber():
    handled = {event_type for event_type, _handler in subscribers.HANDLERS} | set(subscribers.UNRECORDED)
    for module in (accounts_events, access_events):
        declared = {
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and hasattr(value, "__dataclass_fields__")
        }
        assert declared <= handled, sorted(cls.__name__ for cls in declared - handled)


def test_a_failing_record_is_logged_and_does_not_break_the_request(world, run_events, caplog, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(subscribers.services, "audit_record", broken)
    with caplog.at_level(logging.ERROR, logger="syllabus.audit.subscribers"), run_events():
        accounts_services.membership_deactivate(membership=world.learner, by=world.org_admin.user)
    assert Membership.objects.get(pk=world.learner.pk).is_active is False
    assert "audit.record_failed" in caplog.text


def test_chains_written_by_subscribers_verify(world, run_events):
    with run_events():
        accounts_services.membership_deactivate(membership=world.learner, by=world.org_admin.user)
        emit(accounts_events.SignInFailed(email="nobody@example.test", ip_address=None, reason="password"))
        emit(accounts_events.UserSignedIn(user_id=world.outsider.user.pk, ip_address="192.0.2.1", two_factor=False))
    reports = verify_all()
    assert len(reports) == 3 and all(report.ok for report in reports)
