"""`manage.py generate_scale`: a large synthetic organisation built fast, shaped like a real one."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from syllabus.access.models import RoleAssignment
from syllabus.access.policy import principal_for
from syllabus.accounts.management.commands import generate_scale
from syllabus.accounts.models import AttributeDefinition, Membership, Organization, OrgUnit, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The command hashes once per run; a fast hasher keeps this module's many runs quick. Behaviour is the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_scale", *args, stdout=out)
    return out.getvalue()


def snapshot(slug: str) -> list[tuple]:
    org = Organization.objects.get(slug=slug)
    return list(
        Membership.objects.filter(organization=org)
        .order_by("employee_id")
        .values_list("employee_id", "user__email", "org_unit__code", "job_role__name", "hire_date", "attributes")
    )


def test_builds_people_units_and_reference_data_and_reports_the_time():
    out = run("--users", "600", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    people = Membership.objects.filter(organization=org)
    assert people.count() == 600 == User.objects.filter(email__endswith="@bench.scale.example").count()
    assert "Built organisation 'bench' with 600 people" in out and " s." in out
    shape = generate_scale.TreeShape.for_users(600)
    units = OrgUnit.objects.filter(organization=org)
    assert units.count() == shape.unit_count
    assert set(units.values_list("depth", flat=True)) == {0, 1, 2, 3}
    for unit in units.select_related("parent"):
        assert unit.path == f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    assert AttributeDefinition.objects.filter(organization=org).count() == len(generate_scale.ATTRIBUTES)
    assert people.exclude(attributes__has_key="grade").count() == 0
    assert people.filter(hire_date__isnull=True).count() == 0


def test_every_person_but_the_chief_executive_has_a_manager_in_a_chain_to_the_top():
    run("--users", "300", "--organization", "bench")
    org = Organization.objects.get(slug="bench")
    managers = dict(Membership.objects.filter(organization=org).values_list("pk", "manager_id"))
    tops = [pk for pk, manager in managers.items() if manager is None]
    assert len(tops) == 1
    for pk in managers:
        seen = 0
        while managers[pk] is not None:
            pk, seen = managers[pk], seen + 1
            assert seen < 5
        assert pk == tops[0]


def test_team_members_work_in_teams_and_report_to_a_lead_in_the_same_team():
    run("--users", "400", "--organization", "bench")
    members = Membership.objects.filter(
        organization__slug="bench", org_unit__depth=3, job_role__name__in=["Nurse", "Porter"]
    )
    for member in members.select_related("manager"):
        assert member.manager.org_unit_id == member.org_unit_id


def test_one_password_hash_for_everyone_and_the_admin_can_act(settings):
    run("--users", "50", "--organization", "bench", "--password", "a-long-test-password")
    users = User.objects.filter(email__endswith="@bench.scale.example")
    assert users.values("password").distinct().count() == 1
    admin = authenticate(username="admin@bench.scale.example", password="a-long-test-password")
    assert admin is not None
    org = Organization.objects.get(slug="bench")
    assert principal_for(admin, org).can("org.manage")
    assert RoleAssignment.objects.filter(organization=org).count() == 1


def test_the_same_seed_builds_the_same_data_and_reset_rebuilds_it():
    run("--users", "120", "--organization", "bench", "--seed", "7")
    first = snapshot("bench")
    with pytest.raises(CommandError, match="exists already"):
        run("--users", "120", "--organization", "bench")
    out = run("--users", "120", "--organization", "bench", "--seed", "7", "--reset")
    assert "Deleted the existing organisation 'bench'" in out
    assert snapshot("bench") == first
    assert User.objects.filter(email__endswith="@bench.scale.example").count() == 120
    run("--users", "120", "--organization", "bench", "--seed", "8", "--reset")
    assert snapshot("bench") != first


def test_other_organisations_and_their_people_are_left_alone(world):
    before = Membership.objects.exclude(organization__slug="bench").count()
    run("--users", "40", "--organization", "bench")
    run("--users", "40", "--organization", "bench", "--reset")
    assert Membership.objects.exclude(organization__slug="bench").count() == before
    assert Organization.objects.filter(slug__in=["acme", "globex"]).count() == 2


def test_refuses_tiny_runs_and_production(settings):
    with pytest.raises(CommandError, match="at least"):
        run("--users", "3")
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run"):
        run("--users", "50")


def test_tree_shape_is_about_one_unit_per_fifty_people():
    for users in (1_000, 10_000, 100_000):
        shape = generate_scale.TreeShape.for_users(users)
        assert 0.8 * users / 50 <= shape.unit_count <= 1.2 * users / 50, (users, shape)


def test_reset_deletes_generated_users_whatever_points_at_them(world):
    from syllabus.accounts.models import UserSession
    from syllabus.audiences.models import Audience

    run("--users", "40", "--organization", "bench")
    signed_in = User.objects.get(email="admin@bench.scale.example")
    UserSession.objects.create(user=signed_in, session_key="k" * 40)
    # A generated user who created something in another organisation: that row stays, without its creator.
    other = User.objects.filter(email__endswith="@bench.scale.example").exclude(pk=signed_in.pk).first()
    kept = Audience.objects.create(organization=world.org, name="Made by a bench user", created_by=other)
    run("--users", "40", "--organization", "bench", "--reset")
    assert not UserSession.objects.filter(session_key="k" * 40).exists()
    kept.refresh_from_db()
    assert kept.created_by is None
    assert User.objects.filter(email__endswith="@bench.scale.example").count() == 40
