"""Shared fixtures: personas for permission tests (org admin, manager, instructor, learner, outsider)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import pytest
from hypothesis import settings as hypothesis_settings

from syllabus.accounts.models import Membership, Organization, OrgUnit, User
from syllabus.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS
from tests.factories import MembershipFactory, OrganizationFactory, OrgUnitFactory, UserFactory, grant

hypothesis_settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PASSWORD = "correct-horse-battery-staple"

# What a test needs to reach the database or the cache through: CI's second pass (PostgreSQL and Redis) runs only
# the tests that do (`--services-only`); the rest run the same code on the same Python in the first pass.
SERVICE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)
SERVICE_NAMES = frozenset({"cache", "caches", "connection", "connections", "transaction"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--services-only",
        action="store_true",
        help="run only the tests that use the database or the cache (CI's PostgreSQL and Redis pass)",
    )


def uses_services(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    return module is not None and bool(SERVICE_NAMES.intersection(vars(module)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--services-only"):
        return
    kept = [item for item in items if uses_services(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not uses_services(item)])
        items[:] = kept


@dataclass
class World:
    """One organisation with a small tree and a person for each persona, plus an outsider organisation."""

    org: Organization
    other_org: Organization
    hq: OrgUnit
    sales: OrgUnit
    sales_east: OrgUnit
    engineering: OrgUnit
    org_admin: Membership
    manager: Membership
    report: Membership
    indirect_report: Membership
    instructor: Membership
    learner: Membership
    engineer: Membership
    outsider: Membership
    platform_admin: User

    @cached_property
    def reviewer(self) -> Membership:
        """Made on first use, so tests that count the organisation's people do not see them."""
        reviewer = MembershipFactory(organization=self.org, org_unit=self.hq, user__display_name="Rhea Reviewer")
        grant(reviewer, "reviewer")
        return reviewer


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """Hash with MD5 in tests: argon2 at its production cost (100 MiB, 2 passes, 8 lanes) takes 0.2-0.4 s per
    sign-in on a 2-core machine, and the browser tests alone sign in through the form some 300 times. The
    production list stays behind it, so an argon2 hash still verifies; tests/web/test_security.py checks that
    production hashes with argon2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path_factory: pytest.TempPathFactory) -> None:  # type: ignore[no-untyped-def]
    """Uploads made by any test land in a temporary folder, never in var/media of the developer's demo."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def fresh_outlines() -> Iterator[None]:
    """The player caches a version's outline, and progress what a version requires, in the process by (version,
    published time): with the clock frozen (demo seeds, fixed "now"s) and ids reused after a rollback, one test
    would read another's."""
    from syllabus.catalog import learning
    from syllabus.progress import services as progress_services

    learning.clear_outline_cache()
    progress_services._requirements.cache_clear()
    yield
    learning.clear_outline_cache()
    progress_services._requirements.cache_clear()


@pytest.fixture
def world(db: None) -> World:
    org = OrganizationFactory(name="Acme Health", slug="acme")
    other_org = OrganizationFactory(name="Globex", slug="globex")
    hq = OrgUnitFactory(organization=org, name="Acme HQ")
    sales = OrgUnitFactory(organization=org, name="Sales", parent=hq)
    sales_east = OrgUnitFactory(organization=org, name="Sales East", parent=sales)
    engineering = OrgUnitFactory(organization=org, name="Engineering", parent=hq)

    org_admin = MembershipFactory(organization=org, org_unit=hq, user__display_name="Olivia Admin")
    grant(org_admin, "org_admin")
    manager = MembershipFactory(organization=org, org_unit=sales, user__display_name="Max Manager")
    # No role assignment: managing people in the HR data is what gives a manager their team.
    report = MembershipFactory(organization=org, org_unit=sales, manager=manager, user__display_name="Rita Report")
    indirect_report = MembershipFactory(
        organization=org, org_unit=sales_east, manager=report, user__display_name="Ivan Indirect"
    )
    instructor = MembershipFactory(organization=org, org_unit=hq, user__display_name="Ingrid Instructor")
    grant(instructor, "instructor")
    learner = MembershipFactory(organization=org, org_unit=sales_east, user__display_name="Lena Learner")
    engineer = MembershipFactory(organization=org, org_unit=engineering, user__display_name="Eddie Engineer")
    outsider_unit = OrgUnitFactory(organization=other_org, name="Globex HQ")
    outsider = MembershipFactory(organization=other_org, org_unit=outsider_unit, user__display_name="Oscar Outsider")
    grant(outsider, "org_admin")
    platform_admin = UserFactory(email="root@syllabus.test", display_name="Pat Platform", is_platform_admin=True)
    return World(
        org=org,
        other_org=other_org,
        hq=hq,
        sales=sales,
        sales_east=sales_east,
        engineering=engineering,
        org_admin=org_admin,
        manager=manager,
        report=report,
        indirect_report=indirect_report,
        instructor=instructor,
        learner=learner,
        engineer=engineer,
        outsider=outsider,
        platform_admin=platform_admin,
    )


@pytest.fixture
def builtin_roles(transactional_db: None) -> None:
    """Put back the built-in roles (a data migration) that the flush after a transactional test removes: ask for
    it before `world` in a `transaction=True` test."""
    from syllabus.access.capabilities import BUILTIN_ROLES
    from syllabus.access.models import Role

    for role in BUILTIN_ROLES:
        Role.objects.update_or_create(
            organization=None, key=role.key, defaults={"name": role.name, "description": role.description}
        )
