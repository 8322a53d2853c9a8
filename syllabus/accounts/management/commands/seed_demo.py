"""`manage.py seed_demo`: a small, realistic demo organisation so `make run` shows a living system.

Northwind Health (three-level org tree, ~40 people with a reporting line from the CEO down, one person for each
built-in role) plus Contoso Care (three people, one of them also at Northwind, so the organisation chooser shows)
and a platform admin. Every demo account shares DEMO_PASSWORD; the command ends with a table of sign-ins.

Idempotent: rows are looked up by their natural keys (slug, unit code, name, attribute key, email) and only
missing ones are created, through the accounts and access services so validation and domain events apply.
Other apps add their part (courses, audiences...) as steps registered in `syllabus.core.demo`, run afterwards.
`--reset` deletes the demo organisations and accounts first (after each step's reset hook).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from syllabus.access.models import Role, RoleAssignment
from syllabus.access.services import role_assign
from syllabus.accounts import services
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

# Published in README and printed by the command: demo accounts are for demos, never for production data.
DEMO_PASSWORD = "syllabus-demo-2026"  # noqa: S105
NORTHWIND, CONTOSO = "northwind", "contoso"
PLATFORM_ADMIN_EMAIL = "platform.admin@syllabus.example"
REFUSE_IN_PRODUCTION = (
    "seed_demo creates accounts with a published password; it refuses to run when SYLLABUS_ENV=production "
    "(pass --allow-production if you really mean it)."
)
ROLE_LABELS = {
    "org_admin": "Organisation admin",
    "manager": "Manager",
    "instructor": "Instructor",
    "reviewer": "Reviewer",
    "compliance_officer": "Compliance officer",
    "auditor": "Auditor",
}


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    primary_color: str
    accent_color: str
    email_domain: str
    # (code, name, parent code)
    units: tuple[tuple[str, str, str | None], ...]
    job_roles: tuple[str, ...]
    # (name, code, address, time zone)
    locations: tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class DemoPerson:
    name: str
    unit: str
    job_role: str
    location: str
    manager: str | None = None  # the manager's name
    grade: str = "Band 5"
    fte: float = 1
    clinical: bool = False
    # Role keys; "manager@NURS" is the manager role over the Nursing subtree.
    roles: tuple[str, ...] = ()
    active: bool = True


NORTHWIND_ORG = DemoOrg(
    slug=NORTHWIND,
    name="Northwind Health",
    primary_color="#0b5394",
    accent_color="#00806b",
    email_domain="northwind.example",
    units=(
        ("NWH", "Northwind Health", None),
        ("CLIN", "Clinical Services", "NWH"),
        ("CARD", "Cardiology", "CLIN"),
        ("EMER", "Emergency", "CLIN"),
        ("NURS", "Nursing", "CLIN"),
        ("OPS", "Operations", "NWH"),
        ("FAC", "Facilities", "OPS"),
        ("FIN", "Finance", "OPS"),
        ("IT", "IT", "OPS"),
        ("PC", "People & Culture", "NWH"),
        ("LD", "Learning & Development", "PC"),
        ("REC", "Recruitment", "PC"),
    ),
    job_roles=(
        "Chief Executive",
        "Director",
        "Head of Department",
        "Physician",
        "Nurse",
        "Care Assistant",
        "Facilities Technician",
        "Accountant",
        "IT Analyst",
        "HR Partner",
        "Recruiter",
        "L&D Specialist",
        "Compliance Officer",
    ),
    locations=(
        ("London", "LON", "1 Riverside Walk, London SE1 9PX", "Europe/London"),
        ("Manchester", "MAN", "40 Oxford Road, Manchester M1 5QA", "Europe/London"),
        ("Leeds", "LDS", "12 Park Row, Leeds LS1 5HD", "Europe/London"),
        ("Remote", "REM", "", ""),
    ),
)

NORTHWIND_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("Eleanor Whitfield", "NWH", "Chief Executive", "London", grade="Band 8"),
    # Directors
    DemoPerson(
        "Samuel Okafor", "CLIN", "Director", "London", "Eleanor Whitfield", "Band 8", clinical=True, roles=("reviewer",)
    ),
    DemoPerson("Priya Raman", "OPS", "Director", "Manchester", "Eleanor Whitfield", "Band 8", roles=("manager@OPS",)),
    DemoPerson("Hannah Clarke", "PC", "Director", "London", "Eleanor Whitfield", "Band 8"),
    # Heads of department
    DemoPerson("Amelia Hughes", "CARD", "Head of Department", "London", "Samuel Okafor", "Band 7", clinical=True),
    DemoPerson("Tomasz Kowalski", "EMER", "Head of Department", "Manchester", "Samuel Okafor", "Band 7", clinical=True),
    DemoPerson(
        "Grace Mensah",
        "NURS",
        "Head of Department",
        "Leeds",
        "Samuel Okafor",
        "Band 7",
        clinical=True,
        roles=("manager@NURS",),
    ),
    DemoPerson("Liam O'Connor", "FAC", "Head of Department", "Manchester", "Priya Raman", "Band 7"),
    DemoPerson("Fatima Sheikh", "FIN", "Head of Department", "London", "Priya Raman", "Band 7"),
    DemoPerson("Oliver Bennett", "IT", "Head of Department", "Remote", "Priya Raman", "Band 7"),
    DemoPerson("Sophie Turner", "LD", "Head of Department", "London", "Hannah Clarke", "Band 7", roles=("instructor",)),
    DemoPerson("Daniel Evans", "REC", "Head of Department", "Leeds", "Hannah Clarke", "Band 7"),
    DemoPerson(
        "Catherine Doyle",
        "PC",
        "Compliance Officer",
        "London",
        "Hannah Clarke",
        "Band 7",
        roles=("compliance_officer",),
    ),
    # Cardiology
    DemoPerson("Rajesh Iyer", "CARD", "Physician", "London", "Amelia Hughes", "Band 8", clinical=True),
    DemoPerson("Chloe Adams", "CARD", "Nurse", "London", "Amelia Hughes", "Band 6", clinical=True),
    DemoPerson("Ethan Brooks", "CARD", "Care Assistant", "London", "Amelia Hughes"),
    DemoPerson("Zara Ahmed", "CARD", "Nurse", "London", "Amelia Hughes", fte=0.8, clinical=True),
    # Emergency
    DemoPerson("Lucy Fernandes", "EMER", "Physician", "Manchester", "Tomasz Kowalski", "Band 8", clinical=True),
    DemoPerson("Jack Thompson", "EMER", "Nurse", "Manchester", "Tomasz Kowalski", "Band 6", clinical=True),
    DemoPerson("Megan Walsh", "EMER", "Care Assistant", "Manchester", "Tomasz Kowalski"),
    DemoPerson("Kwame Asante", "EMER", "Nurse", "Manchester", "Tomasz Kowalski", clinical=True),
    # Nursing
    DemoPerson("Isabella Rossi", "NURS", "Nurse", "Leeds", "Grace Mensah", "Band 6", clinical=True),
    DemoPerson("Noah Campbell", "NURS", "Nurse", "Leeds", "Grace Mensah", clinical=True),
    DemoPerson("Aaliyah Johnson", "NURS", "Care Assistant", "Leeds", "Grace Mensah"),
    DemoPerson("Harriet Price", "NURS", "Nurse", "Leeds", "Grace Mensah", fte=0.6, clinical=True),
    DemoPerson("Mohammed Khan", "NURS", "Care Assistant", "Leeds", "Grace Mensah", fte=0.8),
    # Facilities
    DemoPerson("Patrick Byrne", "FAC", "Facilities Technician", "Manchester", "Liam O'Connor"),
    DemoPerson("Sean Murphy", "FAC", "Facilities Technician", "Manchester", "Liam O'Connor"),
    DemoPerson("Ellie Ward", "FAC", "Facilities Technician", "Leeds", "Liam O'Connor"),
    DemoPerson("Peter Collins", "FAC", "Facilities Technician", "Manchester", "Liam O'Connor", active=False),
    # Finance
    DemoPerson("Robert Lam", "FIN", "Accountant", "London", "Fatima Sheikh", "Band 6", roles=("auditor",)),
    DemoPerson("Emily Carter", "FIN", "Accountant", "London", "Fatima Sheikh"),
    DemoPerson("Arjun Mehta", "FIN", "Accountant", "Remote", "Fatima Sheikh", fte=0.8),
    # IT
    DemoPerson("Nina Petrova", "IT", "IT Analyst", "Remote", "Oliver Bennett", "Band 6"),
    DemoPerson("George Harris", "IT", "IT Analyst", "Manchester", "Oliver Bennett"),
    DemoPerson("Yusuf Ali", "IT", "IT Analyst", "London", "Oliver Bennett"),
    # Learning & Development
    DemoPerson("Amara Osei", "LD", "L&D Specialist", "London", "Sophie Turner", "Band 6", roles=("org_admin",)),
    DemoPerson("Marcus Reid", "LD", "L&D Specialist", "Leeds", "Sophie Turner", "Band 6", roles=("instructor",)),
    DemoPerson("Ruby Sinclair", "LD", "L&D Specialist", "Remote", "Sophie Turner", fte=0.6),
    # Recruitment
    DemoPerson("Laura Jenkins", "REC", "HR Partner", "Leeds", "Daniel Evans", "Band 6"),
    DemoPerson("Thomas Wright", "REC", "HR Partner", "Remote", "Daniel Evans"),
    DemoPerson("Olivia Martin", "REC", "Recruiter", "London", "Daniel Evans"),
    DemoPerson("Aisha Begum", "REC", "Recruiter", "Manchester", "Daniel Evans", fte=0.8),
)

CONTOSO_ORG = DemoOrg(
    slug=CONTOSO,
    name="Contoso Care",
    primary_color="#6d28d9",
    accent_color="#be185d",
    email_domain="contoso.example",
    units=(("CC", "Contoso Care", None), ("HOME", "Home Care", "CC")),
    job_roles=("Care Coordinator", "Care Assistant", "L&D Specialist"),
    locations=(("Bristol", "BRS", "8 Queen Square, Bristol BS1 4NT", "Europe/London"),),
)

CONTOSO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("Jasmine Patel", "CC", "Care Coordinator", "Bristol", grade="", roles=("org_admin",)),
    DemoPerson("Ben Carter", "HOME", "Care Assistant", "Bristol", "Jasmine Patel", grade=""),
    # Also Northwind's org admin: signing in as her shows the organisation chooser.
    DemoPerson("Amara Osei", "CC", "L&D Specialist", "Bristol", grade="", roles=("instructor",)),
)

ATTRIBUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("cost_center", "Cost centre", AttributeDefinition.Type.TEXT, ()),
    ("grade", "Grade", AttributeDefinition.Type.CHOICE, ("Band 5", "Band 6", "Band 7", "Band 8")),
    ("fte", "FTE", AttributeDefinition.Type.NUMBER, ()),
    ("clinical_registration_expiry", "Clinical registration expiry", AttributeDefinition.Type.DATE, ()),
    ("union_member", "Union member", AttributeDefinition.Type.CHOICE, ("yes", "no")),
)

# Sign-ins printed at the end: (email, organisation, what to try).
SIGN_INS: tuple[tuple[str, str, str], ...] = (
    (PLATFORM_ADMIN_EMAIL, "all", "Platform admin"),
    ("amara.osei@northwind.example", "Northwind + Contoso", "Org admin; instructor at Contoso"),
    ("grace.mensah@northwind.example", "Northwind", "Manager (Nursing)"),
    ("priya.raman@northwind.example", "Northwind", "Manager (Operations)"),
    ("amelia.hughes@northwind.example", "Northwind", "Manager (Cardiology), Chloe's manager"),
    ("sophie.turner@northwind.example", "Northwind", "Instructor"),
    ("marcus.reid@northwind.example", "Northwind", "Instructor"),
    ("samuel.okafor@northwind.example", "Northwind", "Reviewer"),
    ("catherine.doyle@northwind.example", "Northwind", "Compliance officer"),
    ("robert.lam@northwind.example", "Northwind", "Auditor"),
    ("chloe.adams@northwind.example", "Northwind", "Learner"),
    ("jasmine.patel@contoso.example", "Contoso", "Organisation admin"),
)


def email_for(name: str, domain: str) -> str:
    # "Liam O'Connor" -> liam.oconnor@...
    return f"{slugify(name.replace(chr(39), '')).replace('-', '.')}@{domain}"


def person_email(person: DemoPerson) -> str:
    # A person's one account: Northwind people keep their Northwind address in Contoso too.
    if any(p.name == person.name for p in NORTHWIND_PEOPLE):
        return email_for(person.name, NORTHWIND_ORG.email_domain)
    return email_for(person.name, CONTOSO_ORG.email_domain)


def hire_date(index: int) -> dt.date:
    # Deterministic, spread over ten years, senior people first.
    return dt.date(2013, 3, 4) + dt.timedelta(days=index * 83 + (index * 37) % 29)


class Command(BaseCommand):
    help = "Load the demo organisations (Northwind Health, Contoso Care) and print their sign-ins. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the demo organisations and accounts first.")
        parser.add_argument(
            "--allow-production", action="store_true", help="Run even when SYLLABUS_ENV=production (not advised)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(REFUSE_IN_PRODUCTION)
        self.created = 0
        self._password_hash: str | None = None
        with transaction.atomic():
            if options["reset"]:
                self._reset()
            admin = self._platform_admin()
            for org, people in ((NORTHWIND_ORG, NORTHWIND_PEOPLE), (CONTOSO_ORG, CONTOSO_PEOPLE)):
                self._seed_org(admin, org, people)
            # Then every other app's part of the demo (courses, audiences...), registered in core.demo.
            self.created += demo.run_all(self._demo_organizations(), admin, self.stdout)
        if self.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({self.created} rows created)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self._print_summary()
        self._print_sign_ins()

    # --- building blocks ------------------------------------------------------------------------------------

    def _hash(self) -> str:
        # One argon2 hash shared by every demo account: hashing per person would dominate the run time.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def _reset(self) -> None:
        emails = {PLATFORM_ADMIN_EMAIL} | {person_email(p) for p in (*NORTHWIND_PEOPLE, *CONTOSO_PEOPLE)}
        demo.reset_all(self._demo_organizations())
        for organization in Organization.objects.filter(slug__in=[NORTHWIND, CONTOSO]):
            # Units protect their parent from deletion, so the tree goes leaves first.
            for unit in OrgUnit.objects.filter(organization=organization).order_by("-depth"):
                unit.delete()
            organization.delete()
        User.objects.filter(email__in=emails).delete()
        self.stdout.write("Deleted the demo organisations and accounts.")

    @staticmethod
    def _demo_organizations() -> dict[str, Organization]:
        return {org.slug: org for org in Organization.objects.filter(slug__in=[NORTHWIND, CONTOSO])}

    def _ensure_users(self, people: list[tuple[str, str, str]]) -> None:
        """Create missing accounts in one INSERT, all with the one demo password hash. (email, name, tz)"""
        existing = set(User.objects.filter(email__in=[email for email, _, _ in people]).values_list("email", flat=True))
        missing = [
            User(email=email, display_name=name, time_zone=tz, locale="en", password=self._hash())
            for email, name, tz in people
            if email not in existing
        ]
        User.objects.bulk_create(missing)
        self.created += len(missing)

    def _platform_admin(self) -> User:
        admin = User.objects.filter(email=PLATFORM_ADMIN_EMAIL).first()
        if admin is None:
            admin = User.objects.create(
                email=PLATFORM_ADMIN_EMAIL,
                display_name="Morgan Reyes",
                password=self._hash(),
                is_platform_admin=True,
                # Django admin access too, for operators poking at the demo.
                is_staff=True,
                is_superuser=True,
            )
            self.created += 1
        return admin

    def _seed_org(self, admin: User, spec: DemoOrg, people: tuple[DemoPerson, ...]) -> None:
        organization = Organization.objects.filter(slug=spec.slug).first()
        if organization is None:
            organization = services.organization_create(
                by=admin,
                name=spec.name,
                slug=spec.slug,
                primary_color=spec.primary_color,
                accent_color=spec.accent_color,
                default_language="en",
                default_time_zone="Europe/London",
            )
            self.created += 1
        units = self._units(admin, organization, spec)
        job_roles = self._job_roles(admin, organization, spec)
        locations = self._locations(admin, organization, spec)
        self._attributes(admin, organization)
        self._people(admin, organization, people, units, job_roles, locations)

    def _units(self, admin: User, organization: Organization, spec: DemoOrg) -> dict[str, OrgUnit]:
        units = {unit.code: unit for unit in OrgUnit.objects.filter(organization=organization)}
        for code, name, parent in spec.units:  # parents come before their children
            if code not in units:
                units[code] = services.org_unit_create(
                    organization=organization, by=admin, name=name, code=code, parent=units[parent] if parent else None
                )
                self.created += 1
        return units

    def _job_roles(self, admin: User, organization: Organization, spec: DemoOrg) -> dict[str, JobRole]:
        job_roles = {role.name: role for role in JobRole.objects.filter(organization=organization)}
        for name in spec.job_roles:
            if name not in job_roles:
                code = slugify(name.replace("&", "and")).upper()[:60]
                job_roles[name] = services.job_role_save(organization=organization, by=admin, name=name, code=code)
                self.created += 1
        return job_roles

    def _locations(self, admin: User, organization: Organization, spec: DemoOrg) -> dict[str, Location]:
        locations = {location.name: location for location in Location.objects.filter(organization=organization)}
        for name, code, address, time_zone in spec.locations:
            if name not in locations:
                locations[name] = services.location_save(
                    organization=organization, by=admin, name=name, code=code, address=address, time_zone=time_zone
                )
                self.created += 1
        return locations

    def _attributes(self, admin: User, organization: Organization) -> None:
        existing = set(AttributeDefinition.objects.filter(organization=organization).values_list("key", flat=True))
        for key, label, kind, choices in ATTRIBUTES:
            if key not in existing:
                services.attribute_definition_save(
                    organization=organization, by=admin, key=key, label=label, type=kind, choices=list(choices)
                )
                self.created += 1

    def _people(
        self,
        admin: User,
        organization: Organization,
        people: tuple[DemoPerson, ...],
        units: dict[str, OrgUnit],
        job_roles: dict[str, JobRole],
        locations: dict[str, Location],
    ) -> None:
        self._ensure_users([(person_email(p), p.name, "Europe/London") for p in people])
        memberships = {
            m.user.email: m for m in Membership.objects.filter(organization=organization).select_related("user")
        }
        prefix = organization.slug[:2].upper()
        # Managers are listed before their reports, so each manager exists when their reports are added.
        for index, person in enumerate(people):
            email = person_email(person)
            if email in memberships:
                continue
            manager = memberships[person_email(self._by_name(people, person.manager))] if person.manager else None
            membership = services.person_create(
                organization=organization,
                by=admin,
                person=services.PersonInput(email=email, display_name=person.name),
                attributes=self._attribute_values(index, person, units[person.unit]),
                org_unit=units[person.unit],
                job_role=job_roles[person.job_role],
                location=locations[person.location],
                manager=manager,
                employee_id=f"{prefix}{1001 + index}",
                hire_date=hire_date(index),
            )
            memberships[email] = membership
            self.created += 1
            if not person.active:
                services.membership_deactivate(membership=membership, by=admin)
        for person in people:
            for role in person.roles:
                self._assign(admin, memberships[person_email(person)], role, units)

    @staticmethod
    def _by_name(people: tuple[DemoPerson, ...], name: str) -> DemoPerson:
        return next(p for p in people if p.name == name)

    @staticmethod
    def _attribute_values(index: int, person: DemoPerson, unit: OrgUnit) -> dict[str, Any]:
        values: dict[str, Any] = {
            "cost_center": f"CC-{unit.code}",
            "fte": person.fte,
            "union_member": "yes" if index % 3 == 0 else "no",
        }
        if person.grade:
            values["grade"] = person.grade
        if person.clinical:
            # Some registrations run out soon, so compliance views have something to show.
            values["clinical_registration_expiry"] = (dt.date(2026, 1, 31) + dt.timedelta(days=61 * index)).isoformat()
        return values

    def _assign(self, admin: User, membership: Membership, role_spec: str, units: dict[str, OrgUnit]) -> None:
        role_key, _, unit_code = role_spec.partition("@")
        org_unit = units[unit_code] if unit_code else None
        role = Role.objects.get(organization__isnull=True, key=role_key)
        if RoleAssignment.objects.filter(membership=membership, role=role, org_unit=org_unit).exists():
            return
        role_assign(
            membership=membership,
            role=role,
            by=admin,
            scope="org_unit" if org_unit else "organization",
            org_unit=org_unit,
        )
        self.created += 1

    # --- output ---------------------------------------------------------------------------------------------

    def _print_summary(self) -> None:
        for organization in Organization.objects.filter(slug__in=[NORTHWIND, CONTOSO]).order_by("name"):
            people = Membership.objects.filter(organization=organization).count()
            units = OrgUnit.objects.filter(organization=organization).count()
            self.stdout.write(f"{organization.name} ({organization.slug}): {people} people, {units} org units")

    def _print_sign_ins(self) -> None:
        rows = [("Email", "Organisation", "Role", "Password")]
        rows += [(email, org, role, DEMO_PASSWORD) for email, org, role in SIGN_INS]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        self.stdout.write("Demo sign-ins (every demo account shares the password):")
        for number, row in enumerate(rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(f"  {line}".rstrip())
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
        self.stdout.write(
            f"Everyone else at Northwind is a learner: first.last@{NORTHWIND_ORG.email_domain}, same password."
        )
