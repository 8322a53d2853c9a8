"""What the organisation holds now, loaded in a few set-based queries so that 100,000 rows check in memory.

The validation and the apply step both plan against a `Directory`: the org-unit tree by path, job roles and
locations by name or code, custom attribute definitions, and every membership with its user's email and name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from syllabus.access.models import RoleAssignment
from syllabus.accounts.models import (
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)

# SQLite allows 32,766 bound variables per statement since 3.32; stay far below every database's limit.
IN_BATCH = 900
PATH_SEPARATOR = "/"


def fold(text: str) -> str:
    """The form names are compared in: case-insensitive, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


def path_key(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(fold(name) for name in names)


@dataclass(slots=True)
class Person:
    """One membership of the organisation as it is now (slots: there may be 100,000 of them in memory)."""

    membership_id: int
    user_id: int
    email: str
    name: str
    employee_id: str
    org_unit_id: int | None
    job_role_id: int | None
    location_id: int | None
    manager_id: int | None
    hire_date: str | None
    is_active: bool
    attributes: dict[str, Any]


class Directory:
    """The organisation's current people and reference data, indexed for the import's lookups."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.definitions = list(AttributeDefinition.objects.filter(organization=organization))
        self._load_units()
        self.job_roles = self._load_named(JobRole.objects.filter(organization=organization))
        self.locations = self._load_named(Location.objects.filter(organization=organization))
        self._load_people()

    # --- reference data -------------------------------------------------------------------------------------

    def _load_units(self) -> None:
        rows = list(OrgUnit.objects.filter(organization=self.organization).values_list("id", "name", "parent_id"))
        by_id = {pk: (name, parent_id) for pk, name, parent_id in rows}
        names: dict[int, tuple[str, ...]] = {}

        def names_of(pk: int) -> tuple[str, ...]:
            # Iterative walk up to the root; the tree is shallow, and parents are memoised.
            chain: list[int] = []
            current: int | None = pk
            while current is not None and current not in names and current in by_id and len(chain) <= len(by_id):
                chain.append(current)
                current = by_id[current][1]
            prefix = names.get(current, ()) if current is not None else ()
            for unit_id in reversed(chain):
                prefix = (*prefix, by_id[unit_id][0])
                names[unit_id] = prefix
            return names[pk]

        self.unit_ids: set[int] = set(by_id)
        self.unit_paths: dict[int, str] = {}
        # Folded path -> unit id; None when two units share a path (siblings differing only in case).
        self.units_by_path: dict[tuple[str, ...], int | None] = {}
        for pk in by_id:
            unit_names = names_of(pk)
            self.unit_paths[pk] = PATH_SEPARATOR.join(unit_names)
            key = path_key(unit_names)
            self.units_by_path[key] = None if key in self.units_by_path else pk

    @staticmethod
    def _load_named(queryset: Any) -> dict[str, int]:
        """Folded name -> id, then folded code -> id where the code is not also someone's name."""
        rows = list(queryset.values_list("id", "name", "code"))
        by_name = {fold(name): pk for pk, name, _code in rows}
        for pk, _name, code in rows:
            if code and fold(code) not in by_name:
                by_name[fold(code)] = pk
        return by_name

    # --- people ---------------------------------------------------------------------------------------------

    def _load_people(self) -> None:
        rows = (
            Membership.objects.filter(organization=self.organization)
            .order_by()
            .values_list(
                "id",
                "user_id",
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
        self.people: dict[int, Person] = {}
        self.by_email: dict[str, Person] = {}
        self.by_employee_id: dict[str, Person] = {}
        for row in rows.iterator(chunk_size=5000):
            hire_date = row[9]
            person = Person(
                row[0],
                row[1],
                row[2].lower(),
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                hire_date.isoformat() if hire_date else None,
                row[10],
                row[11] or {},
            )
            self.people[person.membership_id] = person
            self.by_email[person.email] = person
            if person.employee_id:
                self.by_employee_id[person.employee_id] = person

    def active_count(self) -> int:
        return sum(1 for person in self.people.values() if person.is_active)

    def users_by_email(self, emails: Iterable[str]) -> dict[str, tuple[int, str]]:
        """Accounts outside this organisation, by (lower-case) email: {email: (user id, display name)}.

        Every write path stores emails in lower case (UserManager, person_create, this import), so an exact `in`
        lookup finds them with the unique index, in batches.
        """
        wanted = sorted({email for email in emails if email and email not in self.by_email})
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(wanted), IN_BATCH):
            batch = wanted[start : start + IN_BATCH]
            for pk, email, name in User.objects.filter(email__in=batch).values_list("id", "email", "display_name"):
                found[email.lower()] = (pk, name)
        return found

    def users_in_other_organizations(self, user_ids: Iterable[int]) -> set[int]:
        wanted = sorted(set(user_ids))
        found: set[int] = set()
        for start in range(0, len(wanted), IN_BATCH):
            batch = wanted[start : start + IN_BATCH]
            found.update(
                Membership.objects.filter(user_id__in=batch)
                .exclude(organization=self.organization)
                .values_list("user_id", flat=True)
            )
        return found

    def active_org_admin_ids(self) -> set[int]:
        """Memberships holding the built-in org admin role organisation-wide (the last one must stay active)."""
        return set(
            RoleAssignment.objects.filter(
                organization=self.organization,
                role__organization__isnull=True,
                role__key="org_admin",
                scope=RoleAssignment.Scope.ORGANIZATION,
                membership__is_active=True,
            ).values_list("membership_id", flat=True)
        )
