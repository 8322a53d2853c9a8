"""`manage.py seed_demo`: a realistic, idempotent demo with one person for each built-in role."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count

from syllabus.access.models import RoleAssignment
from syllabus.accounts.management.commands import seed_demo
from syllabus.accounts.models import (
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)
from syllabus.core import demo

pytestmark = pytest.mark.django_db

MODELS = (Organization, OrgUnit, JobRole, Location, AttributeDefinition, User, Membership, RoleAssignment)


@pytest.fixture(autouse=True)
def accounts_only():
    # The catalog's and audiences' demo steps have their own tests (tests/catalog/test_demo.py); seeding courses
    # in each of these runs would only make them slow.
    with demo.suspended():
        yield


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The command hashes once per run; a fast hasher keeps this module's many runs quick. Behaviour is the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded() -> str:
    return run()


@pytest.fixture
def northwind(seeded) -> Organization:
    return Organization.objects.get(slug="northwind")


def member(organization: Organization, email: str) -> Membership:
    return Membership.objects.get(organization=organization, user__email=email)


def test_running_twice_changes_nothing(seeded):
    first = counts()
    output = run()
    assert counts() == first
    assert "nothing changed" in output


def test_reset_deletes_the_demo_and_loads_it_again(seeded):
    first = counts()
    old_ids = set(Organization.objects.values_list("pk", flat=True))
    output = run("--reset")
    assert "Deleted the demo organisations and accounts." in output
    assert counts() == first
    assert not old_ids & set(Organization.objects.values_list("pk", flat=True))


def test_reset_leaves_other_organisations_and_people_alone(world):
    run()
    run("--reset")
    assert Organization.objects.filter(slug__in=["acme", "globex"]).count() == 2
    assert User.objects.filter(email=world.learner.user.email).exists()


def test_northwind_is_a_realistic_organisation(northwind):
    assert northwind.name == "Northwind Health"
    assert northwind.default_time_zone == "Europe/London"
    assert northwind.primary_color != Organization._meta.get_field("primary_color").default
    assert Membership.objects.filter(organization=northwind).count() >= 40
    assert set(Location.objects.filter(organization=northwind).values_list("name", flat=True)) == {
        "London",
        "Manchester",
        "Leeds",
        "Remote",
    }
    assert {"Nurse", "Physician", "Care Assistant", "Director", "IT Analyst"} <= set(
        JobRole.objects.filter(organization=northwind).values_list("name", flat=True)
    )


def test_the_org_tree_is_three_levels_deep(northwind):
    cardiology = OrgUnit.objects.get(organization=northwind, name="Cardiology")
    assert cardiology.depth == 2
    assert cardiology.parent.name == "Clinical Services"
    assert cardiology.parent.parent.name == "Northwind Health"
    assert cardiology.path == f"/{cardiology.parent.parent_id}/{cardiology.parent_id}/{cardiology.pk}/"
    roots = OrgUnit.objects.filter(organization=northwind, parent__isnull=True)
    assert [unit.name for unit in roots] == ["Northwind Health"]
    assert set(OrgUnit.objects.filter(organization=northwind, depth=1).values_list("name", flat=True)) == {
        "Clinical Services",
        "Operations",
        "People & Culture",
    }


def test_everyone_but_the_ceo_has_a_manager_and_the_chain_reaches_the_ceo(northwind):
    people = Membership.objects.filter(organization=northwind).select_related("manager")
    without_manager = [m.user.display_name for m in people.select_related("user") if m.manager_id is None]
    assert without_manager == ["Eleanor Whitfield"]
    nurse = member(northwind, "isabella.rossi@northwind.example")
    chain = []
    current = nurse.manager
    while current is not None:
        chain.append(current.user.display_name)
        current = current.manager
    assert chain == ["Grace Mensah", "Samuel Okafor", "Eleanor Whitfield"]


def test_each_built_in_role_is_held_and_the_rest_are_learners(northwind):
    held = dict(
        RoleAssignment.objects.filter(organization=northwind)
        .values_list("role__key")
        .annotate(n=Count("pk"))
        .values_list("role__key", "n")
    )
    assert held == {
        "org_admin": 1,
        "manager": 2,
        "instructor": 2,
        "reviewer": 1,
        "compliance_officer": 1,
        "auditor": 1,
    }
    learners = Membership.objects.filter(organization=northwind, role_assignments__isnull=True)
    assert learners.count() >= 30


def test_managers_have_reports_and_an_org_unit_scope(northwind):
    for email, unit in [
        ("grace.mensah@northwind.example", "Nursing"),
        ("priya.raman@northwind.example", "Operations"),
    ]:
        manager = member(northwind, email)
        assert manager.direct_reports.exists()
        assignment = manager.role_assignments.get()
        assert (assignment.role.key, assignment.scope, assignment.org_unit.name) == ("manager", "org_unit", unit)


def test_people_carry_hr_data_and_valid_custom_attributes(northwind):
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(organization=northwind)}
    assert set(definitions) == {"cost_center", "grade", "fte", "clinical_registration_expiry", "union_member"}
    assert definitions["grade"].choices == ["Band 5", "Band 6", "Band 7", "Band 8"]
    nurse = member(northwind, "chloe.adams@northwind.example")
    assert nurse.employee_id and nurse.hire_date and nurse.location.name == "London"
    assert nurse.attributes["grade"] == "Band 6"
    assert nurse.attributes["clinical_registration_expiry"]
    employee_ids = list(Membership.objects.filter(organization=northwind).values_list("employee_id", flat=True))
    assert len(set(employee_ids)) == len(employee_ids)


def test_one_leaver_shows_as_deactivated(northwind):
    assert list(
        Membership.objects.filter(organization=northwind, is_active=False).values_list("user__display_name", flat=True)
    ) == ["Peter Collins"]


def test_a_second_organisation_and_a_person_in_both_make_the_chooser_show(seeded):
    contoso = Organization.objects.get(slug="contoso")
    assert Membership.objects.filter(organization=contoso).count() == 3
    amara = User.objects.get(email="amara.osei@northwind.example")
    assert set(amara.memberships.values_list("organization__slug", flat=True)) == {"northwind", "contoso"}


def test_the_platform_admin_belongs_to_no_organisation(seeded):
    admin = User.objects.get(email=seed_demo.PLATFORM_ADMIN_EMAIL)
    assert admin.is_platform_admin
    assert not admin.memberships.exists()


def test_every_demo_account_signs_in_with_the_documented_password(seeded):
    hashes = set(User.objects.filter(email__endswith=".example").values_list("password", flat=True))
    assert len(hashes) == 1  # one precomputed hash for everyone
    assert authenticate(email="robert.lam@northwind.example", password=seed_demo.DEMO_PASSWORD) is not None


def test_the_password_is_hashed_once_per_run_not_once_per_person(monkeypatch):
    calls = []
    real = seed_demo.make_password

    def counting(password, *args, **kwargs):
        calls.append(password)
        return real(password, *args, **kwargs)

    monkeypatch.setattr(seed_demo, "make_password", counting)
    run()
    assert calls == [seed_demo.DEMO_PASSWORD]
    run()
    assert calls == [seed_demo.DEMO_PASSWORD]


def test_it_prints_a_table_of_sign_ins(seeded):
    assert "Email" in seeded and "Role" in seeded and "Password" in seeded
    for email, _, role in seed_demo.SIGN_INS:
        line = next(line for line in seeded.splitlines() if email in line)
        assert role in line and seed_demo.DEMO_PASSWORD in line
    assert "Northwind Health (northwind): 43 people, 12 org units" in seeded


def test_it_refuses_to_seed_a_production_site(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run when SYLLABUS_ENV=production"):
        run()
    assert not Organization.objects.exists()
