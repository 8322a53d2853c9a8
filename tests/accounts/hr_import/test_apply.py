"""Applying: what gets written, matching (employee id, then email), idempotent re-imports, full sync and its
threshold, all-or-nothing, and the one summary event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.accounts import events
from syllabus.accounts.hr_import import apply as hr_apply
from syllabus.accounts.hr_import import services
from syllabus.accounts.hr_import import validation as v
from syllabus.accounts.models import ApiToken, ImportJob, JobRole, Location, Membership, OrgUnit, User
from syllabus.core.events import subscribe, unsubscribe
from tests.accounts.hr_import.conftest import Importer, csv_file, member, roster
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

PEOPLE = (
    "ada@acme.test,Ada Lovelace,E1,Acme HQ/Sales,Nurse,Leeds,,2024-01-31",
    "bob@acme.test,Bob Babbage,E2,Acme HQ/Sales/Sales East,Engineer,York,ada@acme.test,",
    "cy@acme.test,Cy Clerk,E3,,,,bob@acme.test,2020-02-29",
)


def snapshot(organization) -> list[tuple]:
    return list(
        Membership.objects.filter(organization=organization)
        .order_by("pk")
        .values_list(
            "user__email",
            "user__display_name",
            "employee_id",
            "org_unit_id",
            "job_role_id",
            "location_id",
            "manager_id",
            "hire_date",
            "is_active",
            "attributes",
        )
    )


def test_new_people_are_created_with_all_their_hr_data_and_managers(importer, world):
    job = importer.run(csv_file(*PEOPLE))
    assert (job.status, job.to_create, job.to_update, job.unchanged) == (ImportJob.Status.APPLIED, 3, 0, 0)
    ada, bob, cy = (member(world.org, f"{name}@acme.test") for name in ("ada", "bob", "cy"))
    assert (ada.employee_id, ada.org_unit, ada.job_role.name, ada.location.name) == (
        "E1",
        world.sales,
        "Nurse",
        "Leeds",
    )
    assert ada.hire_date == dt.date(2024, 1, 31) and ada.manager is None
    assert (bob.org_unit, bob.manager, bob.hire_date) == (world.sales_east, ada, None)
    assert cy.manager == bob and cy.org_unit is None and cy.hire_date == dt.date(2020, 2, 29)
    assert ada.user.locale == world.org.default_language and ada.user.time_zone == world.org.default_time_zone


def test_new_accounts_share_one_unusable_password_marker(importer):
    importer.run(csv_file(*PEOPLE))
    users = User.objects.filter(email__endswith="@acme.test", email__in=["ada@acme.test", "bob@acme.test"])
    passwords = {user.password for user in users}
    assert len(passwords) == 1
    assert not any(user.has_usable_password() for user in users)


def test_importing_the_same_file_again_changes_nothing(importer, world):
    importer.run(csv_file(*PEOPLE))
    before = snapshot(world.org)
    job = importer.dry_run(csv_file(*PEOPLE))
    assert (job.to_create, job.to_update, job.unchanged, job.error_count) == (0, 0, 3, 0)
    job = importer.apply(job)
    assert (job.to_create, job.to_update, job.unchanged) == (0, 0, 3)
    assert snapshot(world.org) == before


def test_people_are_matched_by_employee_id_first_so_an_email_change_is_an_update(importer, world):
    importer.run(csv_file(*PEOPLE))
    ada = member(world.org, "ada@acme.test")
    job = importer.run(csv_file("ada.lovelace@acme.test,Ada King,E1,Acme HQ/Sales,Nurse,Leeds,,2024-01-31"))
    assert (job.to_create, job.to_update) == (0, 1)
    ada.refresh_from_db()
    ada.user.refresh_from_db()
    assert (ada.user.email, ada.user.display_name) == ("ada.lovelace@acme.test", "Ada King")


def test_people_without_a_matching_employee_id_are_matched_by_email(importer, world):
    job = importer.run(
        csv_file(f"{world.learner.user.email.upper()},Lena Learner,L-77", header="email,name,employee_id")
    )
    assert (job.to_create, job.to_update) == (0, 1)
    world.learner.refresh_from_db()
    assert world.learner.employee_id == "L-77"


def test_a_missing_column_keeps_what_syllabus_holds_and_an_empty_cell_clears_it(importer, world):
    importer.run(csv_file(*PEOPLE))
    importer.run(csv_file("ada@acme.test,Ada Lovelace,E1", header="email,name,employee_id"))
    ada = member(world.org, "ada@acme.test")
    assert (ada.org_unit, ada.job_role.name, ada.hire_date) == (world.sales, "Nurse", dt.date(2024, 1, 31))
    importer.run(csv_file("ada@acme.test,Ada Lovelace,,", header="email,name,org_unit,hire_date"))
    ada = member(world.org, "ada@acme.test")
    assert (ada.org_unit, ada.job_role.name, ada.hire_date) == (None, "Nurse", None)


def test_custom_attributes_merge_and_an_empty_cell_removes_one(importer, world):
    from tests.factories import AttributeDefinitionFactory

    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre")
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade")
    Membership.objects.filter(pk=world.learner.pk).update(attributes={"cost_center": "CC1", "grade": "G1"})
    email = world.learner.user.email
    importer.run(csv_file(f"{email},Lena Learner,CC2", header="email,name,attr:cost_center"))
    world.learner.refresh_from_db()
    assert world.learner.attributes == {"cost_center": "CC2", "grade": "G1"}
    importer.run(csv_file(f"{email},Lena Learner,", header="email,name,grade"))
    world.learner.refresh_from_db()
    assert world.learner.attributes == {"cost_center": "CC2"}


def test_a_deactivated_person_in_the_file_is_reactivated(importer, world):
    Membership.objects.filter(pk=world.engineer.pk).update(
        is_active=False, deactivated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    job = importer.run(csv_file(f"{world.engineer.user.email},Eddie Engineer", header="email,name"))
    assert job.to_update == 1
    world.engineer.refresh_from_db()
    assert world.engineer.is_active and world.engineer.deactivated_at is None


def test_someone_from_another_organisation_joins_with_their_existing_account(importer, world):
    outsider = world.outsider.user
    job = importer.run(csv_file(f"{outsider.email},{outsider.display_name}", header="email,name"))
    assert job.to_create == 1
    assert Membership.objects.get(organization=world.org, user=outsider).is_active
    assert User.objects.filter(email=outsider.email).count() == 1


def test_new_managers_and_reports_can_come_in_any_order_in_the_file(importer, world):
    importer.run(
        csv_file(
            "d@acme.test,D,,,,,c@acme.test,",
            "c@acme.test,C,,,,,b@acme.test,",
            "b@acme.test,B,,,,,a@acme.test,",
            "a@acme.test,A,,,,,,",
        )
    )
    line = [member(world.org, f"{name}@acme.test").manager for name in "abcd"]
    assert [m.user.email if m else None for m in line] == [None, "a@acme.test", "b@acme.test", "c@acme.test"]


def test_an_existing_person_can_get_a_manager_created_by_the_same_import(importer, world):
    email = world.learner.user.email
    importer.run(csv_file(f"{email},Lena Learner,,,,,boss@acme.test,", "boss@acme.test,The Boss,,,,,,"))
    assert member(world.org, email).manager.user.email == "boss@acme.test"


def test_missing_org_units_job_roles_and_locations_are_created_when_asked(importer, world):
    job = importer.dry_run(
        csv_file(
            "a@acme.test,A,,Northwind Health/Clinical Services/Cardiology,Cardiologist,Bristol,,",
            "b@acme.test,B,,northwind health/Clinical Services,cardiologist,Leeds,,",
        ),
        create_missing=True,
    )
    assert job.can_apply and job.to_create == 2
    assert not OrgUnit.objects.filter(name="Northwind Health").exists()
    importer.apply(job)
    cardiology = member(world.org, "a@acme.test").org_unit
    clinical = member(world.org, "b@acme.test").org_unit
    assert (cardiology.name, cardiology.parent, clinical.parent.name) == ("Cardiology", clinical, "Northwind Health")
    assert cardiology.path == f"{clinical.path}{cardiology.pk}/" and cardiology.depth == 2
    assert JobRole.objects.filter(organization=world.org, name__iexact="cardiologist").count() == 1
    assert Location.objects.filter(organization=world.org, name="Bristol").exists()
    again = importer.dry_run(
        csv_file("a@acme.test,A,,Northwind Health/Clinical Services/Cardiology,Cardiologist,Bristol,,")
    )
    assert again.unchanged == 1


def test_creating_missing_references_needs_the_right_to_manage_them(world):
    from syllabus.access.models import Role, RoleAssignment

    people_admin = Role.objects.create(
        organization=world.org, key="people_admin", name="People admin", custom_capabilities=["people.manage"]
    )
    RoleAssignment.objects.create(
        organization=world.org, membership=world.instructor, role=people_admin, scope="organization"
    )
    importer = Importer(world.org, world.instructor.user)
    assert importer.dry_run(csv_file("a@acme.test,A", header="email,name")).can_apply
    with pytest.raises(PermissionDenied):
        importer.upload(csv_file("a@acme.test,A", header="email,name"), create_missing=True)
    with pytest.raises(PermissionDenied):
        importer.upload(csv_file("a@acme.test,A", header="email,name"), mode=ImportJob.Mode.FULL_SYNC)


def test_a_people_manager_over_one_department_only_may_not_import(world):
    grant(world.engineer, "org_admin", org_unit=world.engineering)
    with pytest.raises(PermissionDenied):
        Importer(world.org, world.engineer.user).upload(csv_file("a@acme.test,A", header="email,name"))


# --- full sync -------------------------------------------------------------------------------------------------


def test_a_full_sync_deactivates_people_missing_from_the_file_and_revokes_their_tokens(importer, world):
    token = ApiToken.objects.create(membership=world.engineer, name="t", prefix="syl_x", key_digest="d" * 64)
    rows = [line for line in roster(world) if not line.startswith(world.engineer.user.email)]
    job = importer.dry_run(csv_file(*rows, header="email,name"), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=20)
    assert (job.to_deactivate, job.unchanged) == (1, 6)
    assert job.options["deactivate_preview"] == [{"email": world.engineer.user.email, "name": "Eddie Engineer"}]
    world.engineer.refresh_from_db()
    assert world.engineer.is_active  # the dry run changes nothing
    job = importer.apply(job)
    assert job.to_deactivate == 1
    world.engineer.refresh_from_db()
    token.refresh_from_db()
    assert not world.engineer.is_active and world.engineer.deactivated_at is not None
    assert token.revoked_at is not None
    assert Membership.objects.filter(organization=world.org, is_active=True).count() == 6
    assert world.outsider.__class__.objects.get(pk=world.outsider.pk).is_active


def test_a_full_sync_over_the_threshold_is_refused_at_the_dry_run_and_changes_nothing(importer, world):
    before = snapshot(world.org)
    # A truncated export: two of seven people.
    job = importer.dry_run(csv_file(*roster(world)[:2], header="email,name"), mode=ImportJob.Mode.FULL_SYNC)
    assert job.status == ImportJob.Status.VALIDATED and not job.can_apply
    assert job.failure == v.THRESHOLD_EXCEEDED.format(count=5, active=7, percent=71.4, threshold=10)
    with pytest.raises(ValidationError):
        services.import_job_apply(job=job, by=importer.by, start=False)
    assert snapshot(world.org) == before


def test_the_threshold_is_checked_again_when_applying(importer, world):
    rows = [line for line in roster(world) if not line.startswith(world.engineer.user.email)]
    job = importer.dry_run(csv_file(*rows, header="email,name"), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=20)
    assert job.can_apply
    # Meanwhile someone adds three people the HR file does not know about: 4 of 10 would now go.
    for _ in range(3):
        MembershipFactory(organization=world.org)
    before = snapshot(world.org)
    job = importer.apply(job)
    assert job.status == ImportJob.Status.FAILED
    assert job.failure == v.THRESHOLD_EXCEEDED.format(count=4, active=10, percent=40.0, threshold=20)
    assert snapshot(world.org) == before


def test_a_full_sync_never_deactivates_the_person_running_it(importer, world):
    rows = [line for line in roster(world) if not line.startswith(world.org_admin.user.email)]
    job = importer.run(csv_file(*rows, header="email,name"), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=50)
    assert job.to_deactivate == 0
    world.org_admin.refresh_from_db()
    assert world.org_admin.is_active


def test_a_full_sync_may_not_deactivate_every_org_admin(world):
    importer = Importer(world.org, world.platform_admin)  # not a member, so not protected as "the person running it"
    rows = [line for line in roster(world) if not line.startswith(world.org_admin.user.email)]
    job = importer.dry_run(csv_file(*rows, header="email,name"), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=50)
    assert job.failure == v.NO_ADMIN_LEFT


def test_people_of_other_organisations_are_never_touched(importer, world):
    other = [(m.pk, m.is_active, m.user.display_name) for m in Membership.objects.filter(organization=world.other_org)]
    importer.run(csv_file(*roster(world), header="email,name"), mode=ImportJob.Mode.FULL_SYNC)
    after = [(m.pk, m.is_active, m.user.display_name) for m in Membership.objects.filter(organization=world.other_org)]
    assert after == other


# --- all or nothing, once -------------------------------------------------------------------------------------


def test_a_failure_in_the_middle_of_applying_leaves_nothing_written(importer, world, monkeypatch):
    from tests.factories import AttributeDefinitionFactory

    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade")
    job = importer.dry_run(
        csv_file(*PEOPLE[:2], f"{world.learner.user.email},Lena Renamed,,,,,,"), create_missing=False
    )
    before, users_before = snapshot(world.org), User.objects.count()
    real_update = hr_apply.bulk_update_rows

    def explode_on_memberships(model, objs, fields):
        real_update(model, objs, fields)
        if model is Membership:
            raise RuntimeError("disk full")

    monkeypatch.setattr(hr_apply, "bulk_update_rows", explode_on_memberships)
    services.import_job_apply(job=job, by=importer.by, start=False)
    with pytest.raises(RuntimeError, match="disk full"):
        services.import_job_run_apply(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, services.UNEXPECTED)
    assert snapshot(world.org) == before
    assert User.objects.count() == users_before
    assert User.objects.get(pk=world.learner.user_id).display_name == "Lena Learner"


def test_data_changed_since_the_dry_run_aborts_the_apply_with_the_new_errors(importer, world):
    job = importer.dry_run(csv_file("a@acme.test,A,,Acme HQ/Engineering,,,,"))
    OrgUnit.objects.filter(pk=world.engineering.pk).delete()
    job = importer.apply(job)
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, hr_apply.CHANGED_SINCE_DRY_RUN)
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [(2, "org_unit", v.REFERENCE_GONE)]
    assert not Membership.objects.filter(user__email="a@acme.test").exists()


def test_an_import_is_applied_once_even_if_asked_twice(importer, world):
    job = importer.dry_run(csv_file(*PEOPLE))
    services.import_job_apply(job=job, by=importer.by, start=False)
    with pytest.raises(ValidationError, match=services.NOT_APPLICABLE):
        services.import_job_apply(job=job, by=importer.by, start=False)
    assert services.import_job_run_apply(job_id=job.pk).status == ImportJob.Status.APPLIED
    assert services.import_job_run_apply(job_id=job.pk) is None
    assert Membership.objects.filter(user__email__in=["ada@acme.test", "bob@acme.test", "cy@acme.test"]).count() == 3


def test_applying_emits_one_summary_event_after_commit(importer, world, django_capture_on_commit_callbacks):
    received = []
    subscribe(events.PeopleImported, received.append)
    try:
        importer.run(
            csv_file(*roster(world)[:6], header="email,name"), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=20
        )
        assert received == []
        with django_capture_on_commit_callbacks(execute=True):
            job = importer.run(
                csv_file(*roster(world)[:5], "new@acme.test,New", header="email,name"),
                mode=ImportJob.Mode.FULL_SYNC,
                threshold_percent=20,
            )
    finally:
        unsubscribe(events.PeopleImported, received.append)
    assert len(received) == 1
    event = received[0]
    created = Membership.objects.get(organization=world.org, user__email="new@acme.test")
    assert (event.organization_id, event.job_id, event.created, event.updated, event.deactivated, event.actor_id) == (
        world.org.pk,
        job.pk,
        1,
        0,
        1,
        world.org_admin.user_id,
    )
    # The person created and the one deactivated (who was in the first file, not in the second).
    assert len(event.membership_ids) == 2 and created.pk in event.membership_ids
    gone = Membership.objects.get(pk=next(pk for pk in event.membership_ids if pk != created.pk))
    assert gone.is_active is False


def test_the_dry_run_writes_no_people(importer, world):
    before, users = snapshot(world.org), User.objects.count()
    job = importer.dry_run(csv_file(*PEOPLE))
    assert job.to_create == 3
    assert snapshot(world.org) == before and User.objects.count() == users


def test_an_applier_who_lost_the_right_meanwhile_is_refused_when_it_runs(importer, world):
    job = importer.dry_run(csv_file(*PEOPLE))
    services.import_job_apply(job=job, by=importer.by, start=False)
    from syllabus.access.models import RoleAssignment

    RoleAssignment.objects.filter(membership=world.org_admin).delete()
    job = services.import_job_run_apply(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert not Membership.objects.filter(user__email="ada@acme.test").exists()


def test_an_other_users_email_in_another_case_is_the_same_account(importer, world):
    user = UserFactory(email="mixed@acme.test")
    MembershipFactory(organization=OrganizationFactory(slug="initech"), user=user)
    importer.run(csv_file("MIXED@ACME.TEST,Mixed", header="email,name"))
    assert User.objects.filter(email__iexact="mixed@acme.test").count() == 1
