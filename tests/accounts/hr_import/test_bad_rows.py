"""Every kind of bad row: the dry run names the row (spreadsheet numbering, header = 1), the column and the reason,
and a file with any error cannot be applied."""

from __future__ import annotations

import pytest

from syllabus.accounts.attributes import NOT_A_CHOICE, NOT_A_NUMBER, REQUIRED_ATTRIBUTE
from syllabus.accounts.hr_import import validation as v
from syllabus.accounts.models import ImportJob, Membership
from syllabus.core import clock
from tests.accounts.hr_import.conftest import csv_file, errors_of
from tests.factories import AttributeDefinitionFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "good@acme.test,Good Person,G1,Acme HQ,Nurse,Leeds,,2024-01-31"


def only_error(job: ImportJob) -> tuple[int, str, str]:
    assert job.status == ImportJob.Status.VALIDATED
    assert not job.can_apply
    errors = errors_of(job)
    assert len(errors) == 1, errors
    assert job.error_count == 1
    return errors[0]


def test_a_malformed_email_is_reported_on_its_row_and_column(importer):
    job = importer.dry_run(csv_file(GOOD, "not-an-email,Bad Email,,,,,,"))
    assert only_error(job) == (3, "email", v.EMAIL_INVALID.format(value="not-an-email"))


def test_a_missing_email_is_reported(importer):
    job = importer.dry_run(csv_file(",No Email,E9,,,,,"))
    assert only_error(job) == (2, "email", v.EMAIL_REQUIRED)


def test_a_missing_name_is_reported(importer):
    job = importer.dry_run(csv_file("noname@acme.test,  ,E9,,,,,"))
    assert only_error(job) == (2, "name", v.NAME_REQUIRED)


def test_a_name_longer_than_an_account_allows_is_reported(importer):
    job = importer.dry_run(csv_file(f"long@acme.test,{'x' * 151},,,,,,"))
    assert only_error(job) == (2, "name", v.TOO_LONG.format(max=150))


def test_an_employee_id_longer_than_allowed_is_reported(importer):
    job = importer.dry_run(csv_file(f"long@acme.test,Long Id,{'9' * 65},,,,,"))
    assert only_error(job) == (2, "employee_id", v.TOO_LONG.format(max=64))


def test_a_duplicate_email_in_the_file_names_the_first_row(importer):
    job = importer.dry_run(csv_file(GOOD, "other@acme.test,Other,O1,,,,,", "GOOD@acme.test,Good Again,G2,,,,,"))
    assert only_error(job) == (4, "email", v.DUPLICATE_EMAIL.format(row=2))


def test_a_duplicate_email_of_someone_already_in_the_organisation_is_reported_once(importer, world):
    email = world.learner.user.email
    job = importer.dry_run(csv_file(f"{email},Lena,,,,,,", f"{email},Lena Again,,,,,,"))
    assert only_error(job) == (3, "email", v.DUPLICATE_EMAIL.format(row=2))


def test_a_duplicate_employee_id_in_the_file_names_the_first_row(importer):
    job = importer.dry_run(csv_file(GOOD, "other@acme.test,Other,G1,,,,,"))
    assert only_error(job) == (3, "employee_id", v.DUPLICATE_EMPLOYEE_ID.format(row=2))


def test_an_unknown_top_level_org_unit_is_reported_with_how_to_fix_it(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,Northwind Health/Clinical Services/Cardiology,,,,"))
    row, column, message = only_error(job)
    assert (row, column) == (2, "org_unit")
    assert message == f"{v.UNKNOWN_TOP_UNIT.format(name='Northwind Health')} {v.CREATE_MISSING_HINT}"


def test_an_unknown_org_unit_names_the_first_missing_part_of_the_path(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,Acme HQ/Sales/Cardiology,,,,"))
    row, column, message = only_error(job)
    assert (row, column) == (2, "org_unit")
    assert message.startswith(v.UNKNOWN_UNIT.format(name="Cardiology", parent="Acme HQ/Sales"))


def test_an_org_unit_path_with_an_empty_part_is_reported(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,Acme HQ//Sales,,,,"))
    assert only_error(job) == (2, "org_unit", v.EMPTY_PATH_PART.format(value="Acme HQ//Sales"))


def test_org_unit_paths_ignore_case_and_spacing(importer, world):
    job = importer.dry_run(csv_file("a@acme.test,A,,  acme hq /  SALES  / sales   east ,,,,"))
    assert job.can_apply, job.errors


def test_an_unknown_job_role_is_reported(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,Surgeon,,,"))
    assert only_error(job) == (2, "job_role", f"{v.UNKNOWN_JOB_ROLE.format(value='Surgeon')} {v.CREATE_MISSING_HINT}")


def test_an_unknown_location_is_reported(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,,Paris,,"))
    assert only_error(job) == (2, "location", f"{v.UNKNOWN_LOCATION.format(value='Paris')} {v.CREATE_MISSING_HINT}")


def test_a_job_role_may_be_named_by_its_code(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,nur,,,"))
    assert job.can_apply, job.errors


def test_a_manager_neither_in_the_file_nor_in_the_organisation_is_reported(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,,,ghost@acme.test,"))
    assert only_error(job) == (2, "manager_email", v.MANAGER_NOT_FOUND.format(value="ghost@acme.test"))


def test_a_manager_from_another_organisation_is_not_found(importer, world):
    outsider = world.outsider.user.email
    job = importer.dry_run(csv_file(f"a@acme.test,A,,,,,{outsider},"))
    assert only_error(job) == (2, "manager_email", v.MANAGER_NOT_FOUND.format(value=outsider))


def test_a_malformed_manager_email_is_reported(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,,,boss-at-acme,"))
    assert only_error(job) == (2, "manager_email", v.EMAIL_INVALID.format(value="boss-at-acme"))


def test_a_person_cannot_manage_themselves(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,,,,,A@acme.test,"))
    assert only_error(job) == (2, "manager_email", v.MANAGER_SELF)


def test_a_reporting_loop_within_the_file_is_reported_on_every_row_in_it(importer):
    job = importer.dry_run(
        csv_file(
            "a@acme.test,A,,,,,b@acme.test,",
            "b@acme.test,B,,,,,c@acme.test,",
            "c@acme.test,C,,,,,a@acme.test,",
            "d@acme.test,D,,,,,a@acme.test,",
        )
    )
    errors = errors_of(job)
    assert [(row, column) for row, column, _ in errors] == [
        (2, "manager_email"),
        (3, "manager_email"),
        (4, "manager_email"),
    ]
    assert errors[0][2] == v.MANAGER_CYCLE.format(chain="a@acme.test → b@acme.test → c@acme.test → a@acme.test")


def test_a_reporting_loop_through_people_already_in_the_organisation_is_reported(importer, world):
    # Max manages Rita, who manages Ivan. Making Max report to Ivan closes a loop that runs outside the file.
    manager, indirect = world.manager.user.email, world.indirect_report.user.email
    job = importer.dry_run(csv_file(f"{manager},Max Manager,,,,,{indirect},"))
    row, column, message = only_error(job)
    assert (row, column) == (2, "manager_email")
    assert message == v.MANAGER_CYCLE.format(chain=f"{manager} → {indirect} → {world.report.user.email} → {manager}")


def test_a_deactivated_manager_not_in_the_file_is_reported(importer, world):
    Membership.objects.filter(pk=world.manager.pk).update(is_active=False, deactivated_at=clock.now())
    job = importer.dry_run(csv_file(f"a@acme.test,A,,,,,{world.manager.user.email},"))
    assert only_error(job) == (2, "manager_email", v.MANAGER_INACTIVE.format(value=world.manager.user.email))


def test_in_a_full_sync_a_manager_missing_from_the_file_is_reported_as_leaving(importer, world):
    lines = [line for line in _roster_rows(world) if not line.startswith(world.manager.user.email)]
    lines.append(f"a@acme.test,A,,,,,{world.manager.user.email},")
    job = importer.dry_run(csv_file(*lines), mode=ImportJob.Mode.FULL_SYNC, threshold_percent=50)
    assert only_error(job) == (8, "manager_email", v.MANAGER_LEAVING.format(value=world.manager.user.email))


def _roster_rows(world):
    from tests.accounts.hr_import.conftest import roster

    return [f"{line},,,,,," for line in roster(world)]


@pytest.mark.parametrize("value", ["31/01/2024", "2024-02-30", "yesterday", "20240131"])
def test_a_hire_date_that_is_not_an_iso_date_is_reported(importer, value):
    job = importer.dry_run(csv_file(f"a@acme.test,A,,,,,,{value}"))
    assert only_error(job) == (2, "hire_date", v.BAD_DATE.format(value=value))


def test_an_invalid_custom_attribute_value_is_reported_under_its_column(importer, world):
    AttributeDefinitionFactory(organization=world.org, key="fte", label="FTE", type="number")
    job = importer.dry_run(csv_file("a@acme.test,A,abc", header="email,name,attr:fte"))
    assert only_error(job) == (2, "attr:fte", NOT_A_NUMBER.format(value="abc"))


def test_a_choice_attribute_outside_its_choices_is_reported_under_its_bare_key_column(importer, world):
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type="choice", choices=["A", "B"])
    job = importer.dry_run(csv_file("a@acme.test,A,Z", header="email,name,grade"))
    assert only_error(job) == (2, "grade", NOT_A_CHOICE.format(value="Z", choices="A, B"))


def test_a_required_attribute_missing_for_a_new_person_is_reported(importer, world):
    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre", required=True)
    job = importer.dry_run(csv_file("a@acme.test,A,", header="email,name,attr:cost_center"))
    assert only_error(job) == (2, "attr:cost_center", REQUIRED_ATTRIBUTE)


def test_a_required_attribute_is_not_needed_in_the_file_when_the_person_already_has_it(importer, world):
    AttributeDefinitionFactory(organization=world.org, key="cost_center", label="Cost centre", required=True)
    Membership.objects.filter(pk=world.learner.pk).update(attributes={"cost_center": "CC1"})
    job = importer.dry_run(csv_file(f"{world.learner.user.email},Lena Learner", header="email,name"))
    assert job.can_apply, job.errors
    job = importer.dry_run(csv_file("new@acme.test,New Person", header="email,name"))
    assert only_error(job) == (2, "attr:cost_center", REQUIRED_ATTRIBUTE)


def test_a_row_with_too_few_or_too_many_cells_is_refused_whole(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,E1", "b@acme.test,B,E2,,,,,,extra", header="email,name,employee_id"))
    assert errors_of(job) == [
        (3, "", v.WRONG_CELL_COUNT.format(cells=9, columns=3)),
    ]
    job = importer.dry_run(csv_file("a@acme.test,A", header="email,name,employee_id"))
    assert errors_of(job) == [(2, "", v.WRONG_CELL_COUNT.format(cells=2, columns=3))]


def test_an_email_used_by_someone_else_in_the_organisation_is_refused_for_the_matched_person(importer, world):
    world.engineer.employee_id = "E7"
    world.engineer.save()
    job = importer.dry_run(csv_file(f"{world.learner.user.email},Eddie Engineer,E7", header="email,name,employee_id"))
    assert only_error(job) == (2, "email", v.EMAIL_OF_SOMEONE_ELSE.format(employee_id="E7"))


def test_changing_an_email_to_one_another_account_uses_is_refused(importer, world):
    world.learner.employee_id = "L1"
    world.learner.save()
    taken = UserFactory(email="taken@elsewhere.test")
    job = importer.dry_run(csv_file(f"{taken.email},Lena Learner,L1", header="email,name,employee_id"))
    assert only_error(job) == (2, "email", v.EMAIL_TAKEN.format(old=world.learner.user.email))


def test_changing_the_email_of_someone_who_also_belongs_to_another_organisation_is_refused(importer, world):
    world.learner.employee_id = "L1"
    world.learner.save()
    MembershipFactory(organization=OrganizationFactory(slug="initech"), user=world.learner.user)
    job = importer.dry_run(csv_file("lena.new@acme.test,Lena Learner,L1", header="email,name,employee_id"))
    assert only_error(job) == (2, "email", v.EMAIL_SHARED.format(old=world.learner.user.email))


def test_two_rows_matching_the_same_person_are_refused(importer, world):
    world.learner.employee_id = "L1"
    world.learner.save()
    job = importer.dry_run(
        csv_file(
            "lena.new@acme.test,Lena,L1", f"{world.learner.user.email},Lena Again,", header="email,name,employee_id"
        )
    )
    assert only_error(job) == (3, "email", v.SAME_PERSON.format(row=2))


def test_every_error_of_a_row_is_reported_not_only_the_first(importer):
    job = importer.dry_run(csv_file("bad,,,Nowhere,Surgeon,Paris,also-bad,someday"))
    columns = [column for _, column, _ in errors_of(job)]
    assert columns == ["email", "name", "org_unit", "job_role", "location", "manager_email", "hire_date"]
    assert job.error_count == 7


def test_errors_name_columns_as_the_file_writes_them(importer):
    job = importer.dry_run(csv_file("a@acme.test,A,someday", header="E-mail, Full Name ,Hire Date"))
    assert errors_of(job) == [(2, "Hire Date", v.BAD_DATE.format(value="someday"))]


def test_a_file_with_errors_cannot_be_applied(importer):
    from django.core.exceptions import ValidationError

    from syllabus.accounts.hr_import import services

    job = importer.dry_run(csv_file(GOOD, "bad,Bad,,,,,,"))
    with pytest.raises(ValidationError, match=services.NOT_APPLICABLE):
        services.import_job_apply(job=job, by=importer.by, start=False)
    assert not Membership.objects.filter(user__email="good@acme.test").exists()
