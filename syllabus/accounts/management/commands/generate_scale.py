"""`manage.py generate_scale --users N`: a large synthetic organisation for benchmarks (bench/), fast.

Builds one organisation with a four-level org-unit tree (about N/50 units: the company, divisions, departments,
teams), job roles, locations, custom attribute definitions and N people, each with a membership, HR data,
attributes and a manager chain (team lead -> department head -> division head -> chief executive).

Fast on purpose: rows go in with bulk_create in batches inside one transaction, and every user shares ONE password
hash computed once (hashing 100,000 passwords with Argon2 would take hours). It bypasses the per-person services
and their events — it builds test data, not a record of real HR changes. The chief executive is the org admin
(through the access service). Deterministic for a given --seed. Refuses to touch an existing organisation unless
--reset, which first deletes that organisation and the users generated for it.

Other apps add their own scale data through `syllabus.core.scale` (e.g. `--courses N` from the catalog): built
after the people, or added to an existing organisation when `--users` is left out.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from syllabus.access.services import grant_builtin_role
from syllabus.accounts.models import (
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)
from syllabus.core import scale

# Scale users are for load tests and benchmarks on test systems only; the password is printed by the command.
DEFAULT_PASSWORD = "scale-password-2026"  # noqa: S105
MIN_USERS = 10
EXISTS = "Organisation {slug!r} exists already: pass --reset to delete it (and its generated users) and rebuild."
NEEDS_USERS = "Pass --users N to build the organisation (or one of the other apps' options to add to it)."
NO_ORGANIZATION = "No organisation {slug!r}: build it first with --users N."
REFUSE_IN_PRODUCTION = (
    "generate_scale creates accounts with a published password; it refuses to run when SYLLABUS_ENV=production "
    "(pass --allow-production if you really mean it)."
)

DIVISIONS = (
    "Clinical Services", "Operations", "Finance", "People", "Technology", "Research", "Sales", "Marketing",
    "Legal", "Facilities", "Customer Care", "Logistics",
)  # fmt: skip
DEPARTMENT_WORDS = (
    "Planning", "Delivery", "Quality", "Support", "Projects", "Analytics", "Training", "Compliance",
    "Procurement", "Safety", "Outreach", "Standards", "Audit", "Service", "Engineering", "Admissions",
)  # fmt: skip
JOB_ROLES = (
    "Nurse", "Senior Nurse", "Care Assistant", "Doctor", "Consultant", "Pharmacist", "Physiotherapist",
    "Radiographer", "Paramedic", "Midwife", "Porter", "Receptionist", "Administrator", "Team Lead", "Manager",
    "Director", "Accountant", "Payroll Officer", "HR Advisor", "Recruiter", "Trainer", "Software Engineer",
    "Data Analyst", "IT Technician", "Security Officer", "Cleaner", "Chef", "Driver", "Warehouse Operative",
    "Buyer", "Sales Representative", "Account Manager", "Marketing Officer", "Lawyer", "Paralegal",
    "Researcher", "Lab Technician", "Quality Inspector", "Customer Advisor", "Chief Executive",
)  # fmt: skip
LOCATIONS = (
    "Leeds", "York", "Hull", "Sheffield", "Manchester", "Liverpool", "Newcastle", "Durham", "Bradford",
    "Nottingham", "Derby", "Leicester", "Birmingham", "Coventry", "Bristol", "Bath", "Cardiff", "Swansea",
    "Glasgow", "Edinburgh", "Aberdeen", "Belfast", "London", "Brighton", "Norwich",
)  # fmt: skip
FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jamal", "Kai", "Lena", "Maya",
    "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe",
    "Aisha", "Bruno", "Carmen", "Daniel", "Emeka", "Fatima", "George", "Hana", "Ivan", "Julia", "Kofi", "Lucia",
    "Mohammed", "Nina", "Oscar", "Paula", "Rahul", "Sofia", "Tom", "Valentina", "William", "Ying", "Zain", "Ruth",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brown", "Chen", "Davies", "Evans", "Fernandez", "Garcia", "Hughes", "Ibrahim", "Jones", "Khan",
    "Lopez", "Mensah", "Nguyen", "Okafor", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Usman", "Vargas",
    "Walker", "Xu", "Young", "Zhang", "Ali", "Baker", "Clarke", "Dubois", "Edwards", "Fischer", "Green", "Hall",
    "Ivanova", "Johnson", "Kowalski", "Lewis", "Martin", "Novak", "Osei", "Price", "Rossi", "Silva", "Turner",
    "Wilson", "Wright", "Yilmaz", "Moreau", "Murphy",
)  # fmt: skip
GRADES = tuple(f"Band {n}" for n in range(2, 10))
ATTRIBUTES: tuple[tuple[str, str, str, list[str]], ...] = (
    ("grade", "Grade", AttributeDefinition.Type.CHOICE, list(GRADES)),
    ("fte", "FTE", AttributeDefinition.Type.NUMBER, []),
    ("cost_center", "Cost centre", AttributeDefinition.Type.TEXT, []),
    ("clinical", "Clinical role", AttributeDefinition.Type.CHOICE, ["yes", "no"]),
    ("contract_end", "Contract end", AttributeDefinition.Type.DATE, []),
)


@dataclass(frozen=True)
class TreeShape:
    divisions: int
    departments_per_division: int
    teams_per_department: int

    @classmethod
    def for_users(cls, users: int) -> TreeShape:
        """About users / 50 units over four levels: 1 company, d divisions, d*p departments, d*p*t teams."""
        target = max(4, users // 50) - 1
        divisions = max(1, min(len(DIVISIONS), round(target ** (1 / 3))))
        per_division = max(1, round(math.sqrt(target / divisions)))
        teams = max(1, round((target - divisions - divisions * per_division) / (divisions * per_division)))
        return cls(divisions, per_division, teams)

    @property
    def unit_count(self) -> int:
        departments = self.divisions * self.departments_per_division
        return 1 + self.divisions + departments + departments * self.teams_per_department


@dataclass
class Built:
    units: int = 0
    job_roles: int = 0
    locations: int = 0
    attributes: int = 0
    people: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Command(BaseCommand):
    help = "Build a large synthetic organisation (org units, job roles, locations, attributes, people) fast."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--users", type=int, help=f"How many people (at least {MIN_USERS}); leave out to add to an existing one."
        )
        parser.add_argument("--organization", default="scale", help="Short name (slug) of the organisation.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed: the same seed builds the same data.")
        parser.add_argument("--reset", action="store_true", help="Delete the organisation and its users first.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="The one password every user gets.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per bulk insert round.")
        parser.add_argument("--allow-production", action="store_true", help=REFUSE_IN_PRODUCTION)
        for generator in scale.generators():
            if generator.choices:
                parser.add_argument(f"--{generator.option}", choices=generator.choices, help=generator.help)
            else:
                parser.add_argument(f"--{generator.option}", type=int, default=0, help=generator.help)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(REFUSE_IN_PRODUCTION)
        users, slug = options["users"], options["organization"]
        extras = [(g, options[g.dest]) for g in scale.generators() if options.get(g.dest)]
        if users is None:
            self._extend(slug, extras, options)
            return
        if users < MIN_USERS:
            raise CommandError(f"--users must be at least {MIN_USERS}.")
        started = time.perf_counter()
        existing = Organization.objects.filter(slug=slug).first()
        if existing is not None:
            if not options["reset"]:
                raise CommandError(EXISTS.format(slug=slug))
            self._reset(existing)
            self.stdout.write(f"Deleted the existing organisation {slug!r} in {time.perf_counter() - started:.1f} s.")
        generator = Generator(
            slug=slug,
            users=users,
            seed=options["seed"],
            password_hash=make_password(options["password"]),
            batch_size=max(100, options["batch_size"]),
        )
        built = generator.build()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Built organisation {slug!r} with {built.people} people, {built.units} org units, "
                f"{built.job_roles} job roles, {built.locations} locations and {built.attributes} custom attributes "
                f"in {elapsed:.1f} s."
            )
        )
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in built.timings.items())
        self.stdout.write(f"Phases: {phases}.")
        self.stdout.write(
            f"Sign in as {generator.admin_email} (org admin), or as anyone @{generator.domain}, with the password "
            f"{options['password']!r}."
        )
        self._run_extras(generator.organization, extras, options)

    def _extend(self, slug: str, extras: list[tuple[scale.ScaleGenerator, Any]], options: dict[str, Any]) -> None:
        """No --users: add the other apps' scale data to an organisation built before."""
        if not extras or options["reset"]:
            raise CommandError(NEEDS_USERS)
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(NO_ORGANIZATION.format(slug=slug))
        self._run_extras(organization, extras, options)

    def _run_extras(
        self, organization: Organization, extras: list[tuple[scale.ScaleGenerator, Any]], options: dict[str, Any]
    ) -> None:
        for generator, count in extras:
            # Each generator has its own seeded sequence: adding one never changes what another builds.
            rnd = random.Random(f"{options['seed']}:{generator.option}")  # noqa: S311 (test data, not secrets)
            context = scale.ScaleContext(
                organization=organization, random=rnd, batch_size=max(100, options["batch_size"]), report=[]
            )
            generator.build(context, count)
            for line in context.report:
                self.stdout.write(self.style.SUCCESS(line))

    def _reset(self, organization: Organization) -> None:
        domain = email_domain(organization.slug)
        with transaction.atomic():
            # Manager links first: otherwise deleting memberships updates each report's manager to NULL one by one.
            Membership.objects.filter(organization=organization).update(manager=None)
            organization.delete()
            delete_users(User.objects.filter(email__endswith=f"@{domain}", memberships__isnull=True))


def delete_users(users: QuerySet[User]) -> int:
    """Delete `users`: those no row points at in one statement, the others through the ORM's cascade.

    The ORM would load 100,000 users and query every related table with 100,000 ids; generated users that nobody
    signed in as have nothing pointing at them, so one DELETE is enough for them.
    """
    candidates = users.values("pk")
    referenced: set[int] = set()
    for relation in User._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            related = relation.related_model._base_manager  # type: ignore[union-attr]
            column = relation.field.name  # type: ignore[union-attr]
            referenced.update(related.filter(**{f"{column}__in": candidates}).values_list(column, flat=True))
    users.filter(pk__in=referenced).delete()
    free = User.objects.filter(pk__in=candidates).exclude(pk__in=referenced)
    sql, params = free.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        # The subquery is Django's own SQL for the queryset above, with bound parameters.
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT * FROM ({sql}) AS free)", params)  # noqa: S608
        return cursor.rowcount + len(referenced)


def analyze(organization: Organization) -> None:
    """Refresh the planner statistics of the tables just filled.

    After a bulk load the statistics still describe nearly empty tables, and PostgreSQL then picks nested loops
    that take seconds where a hash join takes milliseconds (autovacuum would catch up, some minutes later).
    """
    tables = [model._meta.db_table for model in (User, Membership, OrgUnit, JobRole, Location, AttributeDefinition)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def email_domain(slug: str) -> str:
    return f"{slug}.scale.example"


class Generator:
    def __init__(self, *, slug: str, users: int, seed: int, password_hash: str, batch_size: int) -> None:
        self.slug, self.users, self.batch_size = slug, users, batch_size
        self.random = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
        self.password_hash = password_hash
        self.domain = email_domain(slug)
        self.admin_email = f"admin@{self.domain}"
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.built = Built()
        self.next_person = 0

    def timed(self, name: str, started: float) -> None:
        self.built.timings[name] = time.perf_counter() - started

    def build(self) -> Built:
        with transaction.atomic():
            started = time.perf_counter()
            self.organization = Organization.objects.create(name=f"{self.slug.title()} (scale test)", slug=self.slug)
            self.build_reference_data()
            self.build_tree()
            self.timed("structure", started)
            started = time.perf_counter()
            self.build_people()
            self.timed("people", started)
            grant_builtin_role(membership=self.ceo, role_key="org_admin", by=None)
        started = time.perf_counter()
        analyze(self.organization)
        self.timed("analyze", started)
        return self.built

    # --- reference data and tree -----------------------------------------------------------------------------

    def build_reference_data(self) -> None:
        org = self.organization
        self.job_roles = JobRole.objects.bulk_create(
            [JobRole(organization=org, name=name, code=f"JR{index:02d}") for index, name in enumerate(JOB_ROLES)]
        )
        self.locations = Location.objects.bulk_create(
            [
                Location(organization=org, name=name, code=name[:3].upper(), time_zone="Europe/London")
                for name in LOCATIONS
            ]
        )
        AttributeDefinition.objects.bulk_create(
            [
                AttributeDefinition(organization=org, key=key, label=label, type=kind, choices=choices)
                for key, label, kind, choices in ATTRIBUTES
            ]
        )
        self.built.job_roles, self.built.locations, self.built.attributes = (
            len(self.job_roles),
            len(self.locations),
            len(ATTRIBUTES),
        )

    def build_tree(self) -> None:
        shape = TreeShape.for_users(self.users)
        root = self.create_level([(None, self.organization.name.split(" (")[0], "HQ")])[0]
        divisions = self.create_level([(root, DIVISIONS[d], f"D{d + 1:02d}") for d in range(shape.divisions)])
        departments = self.create_level(
            [
                (
                    division,
                    f"{division.name} {DEPARTMENT_WORDS[p % len(DEPARTMENT_WORDS)]} {p // 16 + 1}",
                    f"{division.code}-{p + 1:02d}",
                )
                for division in divisions
                for p in range(shape.departments_per_division)
            ]
        )
        self.teams = self.create_level(
            [
                (department, f"{department.name} team {t + 1}", f"{department.code}-{t + 1:02d}")
                for department in departments
                for t in range(shape.teams_per_department)
            ]
        )
        self.levels = [[root], divisions, departments, self.teams]
        self.built.units = sum(len(level) for level in self.levels)

    def create_level(self, rows: list[tuple[OrgUnit | None, str, str]]) -> list[OrgUnit]:
        """One level of the tree in one bulk insert; paths need the new ids, so they are set right after."""
        units = OrgUnit.objects.bulk_create(
            [
                OrgUnit(organization=self.organization, parent=parent, name=name, code=code)
                for parent, name, code in rows
            ],
            batch_size=self.batch_size,
        )
        for unit, (parent, _name, _code) in zip(units, rows, strict=True):
            unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
            unit.depth = parent.depth + 1 if parent else 0
        OrgUnit.objects.bulk_update(units, ["path", "depth"], batch_size=1000)
        return units

    # --- people ----------------------------------------------------------------------------------------------

    def person(self, unit: OrgUnit, manager_id: int | None, job_role: JobRole | None = None) -> tuple[User, Membership]:
        index = self.next_person
        self.next_person += 1
        rnd = self.random
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        email = self.admin_email if index == 0 else f"{first}.{last}.{index}@{self.domain}".lower()
        user = User(
            email=email,
            display_name=f"{first} {last}",
            password=self.password_hash,
            date_joined=self.now,
        )
        roll = rnd.random()
        if roll < 0.02:  # starts soon (pre-boarding)
            hire_date = self.today + dt.timedelta(days=rnd.randint(1, 30))
        elif roll < 0.07:  # new starters
            hire_date = self.today - dt.timedelta(days=rnd.randint(0, 90))
        else:
            hire_date = self.today - dt.timedelta(days=rnd.randint(91, 20 * 365))
        attributes: dict[str, Any] = {
            "grade": rnd.choice(GRADES),
            "fte": rnd.choice((1, 1, 1, 0.8, 0.6, 0.5)),
            "cost_center": f"CC-{unit.code}",
            "clinical": "yes" if rnd.random() < 0.5 else "no",
        }
        if rnd.random() < 0.3:
            attributes["contract_end"] = (self.today + dt.timedelta(days=rnd.randint(-60, 900))).isoformat()
        membership = Membership(
            organization=self.organization,
            org_unit=unit,
            job_role=job_role or rnd.choice(self.job_roles),
            location=rnd.choice(self.locations),
            manager_id=manager_id,
            employee_id=f"E{index + 1:07d}",
            hire_date=hire_date,
            attributes=attributes,
        )
        return user, membership

    def insert(self, pairs: list[tuple[User, Membership]]) -> list[Membership]:
        users = User.objects.bulk_create([user for user, _ in pairs], batch_size=self.batch_size)
        for user, (_, membership) in zip(users, pairs, strict=True):
            membership.user_id = user.pk
        memberships = Membership.objects.bulk_create([m for _, m in pairs], batch_size=self.batch_size)
        self.built.people += len(memberships)
        return memberships

    def build_people(self) -> None:
        chief = next(role for role in self.job_roles if role.name == "Chief Executive")
        lead_role = next(role for role in self.job_roles if role.name == "Team Lead")
        manager_role = next(role for role in self.job_roles if role.name == "Manager")
        director = next(role for role in self.job_roles if role.name == "Director")
        # Leaders level by level, so each level's manager ids exist when the next level is inserted.
        self.ceo = self.insert([self.person(self.levels[0][0], None, chief)])[0]
        heads: dict[int, int] = {self.levels[0][0].pk: self.ceo.pk}
        for level, role in ((1, director), (2, manager_role), (3, lead_role)):
            units = self.levels[level]
            pairs = [self.person(unit, heads[unit.parent_id], role) for unit in units]  # type: ignore[index]
            for unit, membership in zip(units, self.insert(pairs), strict=True):
                heads[unit.pk] = membership.pk
        # Everyone else works in a team and reports to its lead.
        remaining = self.users - self.built.people
        while remaining > 0:
            size = min(self.batch_size, remaining)
            pairs = []
            for _ in range(size):
                team = self.random.choice(self.teams)
                pairs.append(self.person(team, heads[team.pk]))
            self.insert(pairs)
            remaining -= size
