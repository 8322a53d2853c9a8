"""Checking rows and planning the import: what each row creates or changes, and who a full sync deactivates.

Two steps, both pure computations over a `Directory` (nothing is written here):

1. `RowCleaner.clean(row_number, cells)` checks one row's cells on their own and resolves names to ids:
   email, name, employee id, org unit path ("Northwind Health/Clinical Services/Cardiology", names compared
   case-insensitively, from a top-level unit down), job role and location (by name, then code), hire date
   (YYYY-MM-DD) and custom attributes (`accounts.attributes`). The result is the row's *data*: a JSON-ready dict that
   holds only the columns the file has, so a missing column keeps what Syllabus holds while an empty cell clears it.
2. `plan(rows, directory, ...)` looks across rows: duplicates within the file, matching (by employee id, then
   email), managers (in the file or in the organisation, no loops), what changes for each matched person, and, in a
   full sync, who is deactivated and whether that stays under the threshold.

The validation (dry run) and the apply step run the same `plan`: the apply step re-plans the staged data against
the organisation as it is at that moment, so a change made in between cannot be overwritten unseen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from syllabus.accounts.attributes import REQUIRED_ATTRIBUTE, clean_value
from syllabus.accounts.hr_import import parsing
from syllabus.accounts.hr_import.directory import PATH_SEPARATOR, Directory, Person, fold, path_key

EMAIL_REQUIRED = N_("An email address is required.")
EMAIL_INVALID = N_("“{value}” is not a valid email address.")
NAME_REQUIRED = N_("A name is required.")
TOO_LONG = N_("At most {max} characters.")
WRONG_CELL_COUNT = N_("This row has {cells} cells but the header has {columns}: look for a missing or extra delimiter.")
DUPLICATE_EMAIL = N_("This email address is already on row {row}.")
DUPLICATE_EMPLOYEE_ID = N_("This employee id is already on row {row}.")
EMPTY_PATH_PART = N_("The org unit path “{value}” has an empty part: separate unit names with a single “/”.")
UNKNOWN_TOP_UNIT = N_("There is no top-level org unit named “{name}”.")
UNKNOWN_UNIT = N_("There is no org unit named “{name}” under “{parent}”.")
AMBIGUOUS_UNIT = N_("Several org units have the path “{path}”: rename one of them first.")
UNKNOWN_JOB_ROLE = N_("There is no job role named “{value}”.")
UNKNOWN_LOCATION = N_("There is no location named “{value}”.")
CREATE_MISSING_HINT = N_("Add it first, or choose “create missing org units, job roles and locations”.")
BAD_DATE = N_("“{value}” is not a date: write it as YYYY-MM-DD (for example 2024-03-31).")
MANAGER_SELF = N_("A person cannot be their own manager.")
MANAGER_NOT_FOUND = N_("Nobody with the email address “{value}” is in the file or in the organisation.")
MANAGER_INACTIVE = N_("The manager “{value}” is deactivated in this organisation and not in the file.")
MANAGER_LEAVING = N_("The manager “{value}” is not in the file, so this full sync would deactivate them.")
MANAGER_CYCLE = N_("The reporting line loops: {chain}.")
EMAIL_OF_SOMEONE_ELSE = N_(
    "This email address belongs to another person in the organisation than employee id “{employee_id}”."
)
EMAIL_TAKEN = N_("Another account already uses this email address, so {old} cannot change to it.")
EMAIL_SHARED = N_("{old} also belongs to another organisation: change their email address in Syllabus, not by import.")
SAME_PERSON = N_("This row matches the same person as row {row}.")
REFERENCE_GONE = N_("What this cell named was deleted after the dry run.")
THRESHOLD_EXCEEDED = N_(
    "This full sync would deactivate {count} of {active} active people ({percent}%), more than the {threshold}% "
    "threshold. If the file really is the complete roster, import it again with a higher threshold."
)
NO_ADMIN_LEFT = N_("This full sync would deactivate every organisation admin: add at least one of them to the file.")

_email_validator = EmailValidator()
_iso_date = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_NAME = 150
MAX_EMPLOYEE_ID = 64
MAX_REFERENCE_NAME = 200


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class CleanRow:
    """One row after its own checks: `data` is what gets staged (JSON), `errors` what was wrong with it."""

    row: int
    data: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


def column_titles(header: parsing.Header) -> dict[str, str]:
    """Column key -> the title as written in the file ("attr:<key>" for attributes), so errors name columns."""
    titles = {key: key for key in parsing.STANDARD_COLUMNS}
    for column in header.columns:
        titles[f"{parsing.ATTRIBUTE_PREFIX}{column.key}" if column.attribute else column.key] = column.title
    return titles


def _clean_email(value: str) -> str:
    email = value.strip().lower()
    _email_validator(email)
    return email


class RowCleaner:
    """Checks rows one at a time against the header and the organisation's reference data."""

    def __init__(self, header: parsing.Header, directory: Directory, *, create_missing: bool) -> None:
        self.header = header
        self.directory = directory
        self.create_missing = create_missing
        self.columns = header.by_key()
        self.attribute_columns = header.attributes()
        self.definitions = {definition.key: definition for definition in directory.definitions}

    def clean(self, row: int, cells: list[str], width: int) -> CleanRow:
        """Check one row; `width` is the number of header cells (a row with more or fewer is refused whole)."""
        result = CleanRow(row, {})
        if len(cells) != width:
            result.errors.append(RowError(row, "", _(WRONG_CELL_COUNT).format(cells=len(cells), columns=width)))
            return result
        data = result.data

        def cell(key: str) -> str | None:
            column = self.columns.get(key)
            return None if column is None else cells[column.index].strip()

        def error(key: str, message: str) -> None:
            column = self.columns.get(key)
            result.errors.append(RowError(row, column.title if column else key, message))

        email = cell(parsing.EMAIL) or ""
        if not email:
            error(parsing.EMAIL, _(EMAIL_REQUIRED))
        else:
            try:
                data["email"] = _clean_email(email)
            except ValidationError:
                error(parsing.EMAIL, _(EMAIL_INVALID).format(value=email))
        name = " ".join((cell(parsing.NAME) or "").split())
        if not name:
            error(parsing.NAME, _(NAME_REQUIRED))
        elif len(name) > MAX_NAME:
            error(parsing.NAME, _(TOO_LONG).format(max=MAX_NAME))
        else:
            data["name"] = name
        employee_id = cell(parsing.EMPLOYEE_ID)
        if employee_id is not None:
            if len(employee_id) > MAX_EMPLOYEE_ID:
                error(parsing.EMPLOYEE_ID, _(TOO_LONG).format(max=MAX_EMPLOYEE_ID))
            else:
                data["employee_id"] = employee_id
        unit = cell(parsing.ORG_UNIT)
        if unit is not None:
            self._clean_unit(unit, data, lambda message: error(parsing.ORG_UNIT, message))
        for key, by_name, unknown in (
            (parsing.JOB_ROLE, self.directory.job_roles, UNKNOWN_JOB_ROLE),
            (parsing.LOCATION, self.directory.locations, UNKNOWN_LOCATION),
        ):
            value = cell(key)
            if value is None:
                continue
            value = " ".join(value.split())
            if not value:
                data[key] = None
            elif fold(value) in by_name:
                data[key] = by_name[fold(value)]
            elif len(value) > MAX_REFERENCE_NAME:
                error(key, _(TOO_LONG).format(max=MAX_REFERENCE_NAME))
            elif self.create_missing:
                data[f"{key}_new"] = value
            else:
                error(key, f"{_(unknown).format(value=value)} {_(CREATE_MISSING_HINT)}")
        manager = cell(parsing.MANAGER_EMAIL)
        if manager is not None:
            if not manager:
                data["manager_email"] = None
            else:
                try:
                    data["manager_email"] = _clean_email(manager)
                except ValidationError:
                    error(parsing.MANAGER_EMAIL, _(EMAIL_INVALID).format(value=manager))
        hire_date = cell(parsing.HIRE_DATE)
        if hire_date is not None:
            if not hire_date:
                data["hire_date"] = None
            else:
                try:
                    if not _iso_date.match(hire_date):
                        raise ValueError(hire_date)
                    data["hire_date"] = dt.date.fromisoformat(hire_date).isoformat()
                except ValueError:
                    error(parsing.HIRE_DATE, _(BAD_DATE).format(value=hire_date))
        if self.attribute_columns:
            attributes: dict[str, Any] = {}
            for column in self.attribute_columns:
                value = cells[column.index].strip()
                if not value:
                    attributes[column.key] = None  # an empty cell removes the value (required: see plan)
                    continue
                try:
                    attributes[column.key] = clean_value(self.definitions[column.key], value)
                except ValidationError as exc:
                    result.errors.append(RowError(row, column.title, " ".join(exc.messages)))
            data["attributes"] = attributes
        return result

    def _clean_unit(self, value: str, data: dict[str, Any], error: Any) -> None:
        text = value.strip().strip(PATH_SEPARATOR).strip()
        if not text:
            data["org_unit"] = None
            return
        names = [" ".join(part.split()) for part in text.split(PATH_SEPARATOR)]
        if any(not name for name in names):
            error(_(EMPTY_PATH_PART).format(value=value))
            return
        if any(len(name) > MAX_REFERENCE_NAME for name in names):
            error(_(TOO_LONG).format(max=MAX_REFERENCE_NAME))
            return
        units = self.directory.units_by_path
        key = path_key(names)
        if key in units:
            unit_id = units[key]
            if unit_id is None:
                error(_(AMBIGUOUS_UNIT).format(path=PATH_SEPARATOR.join(names)))
            else:
                data["org_unit"] = unit_id
            return
        if self.create_missing:
            data["org_unit_new"] = names
            return
        # Name the first part that does not exist, so the fix is obvious.
        depth = 0
        while depth < len(names) and key[: depth + 1] in units:
            depth += 1
        if depth == 0:
            message = _(UNKNOWN_TOP_UNIT).format(name=names[0])
        else:
            message = _(UNKNOWN_UNIT).format(name=names[depth], parent=PATH_SEPARATOR.join(names[:depth]))
        error(f"{message} {_(CREATE_MISSING_HINT)}")


# --- the plan -----------------------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
MEMBERSHIP_FIELDS = ("employee_id", "org_unit_id", "job_role_id", "location_id", "hire_date", "attributes")


@dataclass(slots=True, eq=False)
class Target:
    """What one row asks for: the person it matched (if any) and their desired state."""

    row: int
    email: str
    name: str
    person: Person | None  # the membership matched, None to create one
    user_id: int | None  # the account: the matched person's, an existing one from another organisation, or None
    user_name: str | None  # that account's current display name
    fields: dict[str, Any]  # desired membership fields (only the file's columns); attributes as given
    new_reference: bool = False  # names an org unit, job role or location this import creates
    has_manager: bool = False  # the file has a manager column
    manager_email: str | None = None
    # The desired manager, once resolved: a person of the file, or a member the file does not list.
    manager_row: Target | None = None
    manager_member: int | None = None
    action: str = UNCHANGED
    changed_user: bool = False
    membership_id: int | None = None  # set when applying, for created memberships

    def desired_manager_id(self) -> int | None:
        if self.manager_row is not None:
            return (
                self.manager_row.membership_id
                if self.manager_row.person is None
                else self.manager_row.person.membership_id
            )
        return self.manager_member


@dataclass
class Plan:
    targets: list[Target]
    errors: list[RowError]
    error_rows: set[int]
    deactivate: list[int]  # membership ids a full sync deactivates
    active_count: int
    failure: str = ""

    def count(self, action: str) -> int:
        return sum(1 for target in self.targets if target.action == action)


def _resolve_fields(data: dict[str, Any], resolved_new: dict[str, dict[Any, int]] | None) -> dict[str, Any]:
    """Desired membership fields from a row's data (new references mapped to the ids created when applying)."""
    fields: dict[str, Any] = {}
    if "employee_id" in data:
        fields["employee_id"] = data["employee_id"]
    for key in ("org_unit", "job_role", "location"):
        if key in data:
            fields[f"{key}_id"] = data[key]
        elif f"{key}_new" in data:
            new = data[f"{key}_new"]
            lookup = path_key(new) if key == "org_unit" else fold(new)
            fields[f"{key}_id"] = resolved_new[key][lookup] if resolved_new is not None else None
    if "hire_date" in data:
        fields["hire_date"] = data["hire_date"]
    if "attributes" in data:
        fields["attributes"] = data["attributes"]
    return fields


def _target(row: int, data: dict[str, Any], resolved_new: dict[str, dict[Any, int]] | None, **kwargs: Any) -> Target:
    target = Target(row, data["email"], data["name"], fields=_resolve_fields(data, resolved_new), **kwargs)
    target.new_reference = resolved_new is None and any(
        f"{key}_new" in data for key in ("org_unit", "job_role", "location")
    )
    if "manager_email" in data:
        target.has_manager = True
        target.manager_email = data["manager_email"]
    return target


def plan(
    rows: Iterable[CleanRow],
    directory: Directory,
    *,
    titles: dict[str, str],
    full_sync: bool,
    threshold_percent: int,
    actor_membership_id: int | None,
    resolved_new: dict[str, dict[Any, int]] | None = None,
) -> Plan:
    """Match rows to people, check across rows, decide each row's action and a full sync's deactivations.

    `resolved_new` (apply step only) maps the names of org units, job roles and locations created for this import
    to their ids; during the dry run they do not exist yet, so rows naming them always count as changes.
    """
    errors: list[RowError] = []
    error_rows: set[int] = set()
    rows = list(rows)

    def fail(row: int, key: str, message: str) -> None:
        errors.append(RowError(row, titles.get(key, key), message))
        error_rows.add(row)

    for clean_row in rows:
        errors.extend(clean_row.errors)
        if clean_row.errors:
            error_rows.add(clean_row.row)

    # Duplicates within the file: the first occurrence stands, later ones are errors.
    first_email: dict[str, int] = {}
    first_employee_id: dict[str, int] = {}
    duplicates: set[int] = set()
    for clean_row in rows:
        email = clean_row.data.get("email")
        if email:
            if email in first_email:
                fail(clean_row.row, "email", _(DUPLICATE_EMAIL).format(row=first_email[email]))
                duplicates.add(clean_row.row)
            else:
                first_email[email] = clean_row.row
        employee_id = clean_row.data.get("employee_id")
        if employee_id:
            if employee_id in first_employee_id:
                fail(clean_row.row, "employee_id", _(DUPLICATE_EMPLOYEE_ID).format(row=first_employee_id[employee_id]))
                duplicates.add(clean_row.row)
            else:
                first_employee_id[employee_id] = clean_row.row

    # Matching: by employee id, then by email.
    outside = directory.users_by_email(first_email)
    matched: dict[int, int] = {}  # membership id -> row
    targets: list[Target] = []
    email_changes: list[Target] = []
    for clean_row in rows:
        data, row = clean_row.data, clean_row.row
        email = data.get("email")
        if not email or row in duplicates:
            continue  # a duplicate is reported once, as a duplicate
        employee_id = data.get("employee_id")
        by_id = directory.by_employee_id.get(employee_id) if employee_id else None
        by_email = directory.by_email.get(email)
        person = by_id or by_email
        if by_id is not None and by_email is not None and by_email is not by_id:
            fail(row, "email", _(EMAIL_OF_SOMEONE_ELSE).format(employee_id=employee_id))
            matched.setdefault(by_id.membership_id, row)
            continue
        if person is not None:
            if person.membership_id in matched and matched[person.membership_id] != row:
                fail(row, "email", _(SAME_PERSON).format(row=matched[person.membership_id]))
                continue
            matched[person.membership_id] = row
        if "name" not in data:
            continue
        if person is not None:
            target = _target(row, data, resolved_new, person=person, user_id=person.user_id, user_name=person.name)
            if person.email != email:
                if email in outside:
                    fail(row, "email", _(EMAIL_TAKEN).format(old=person.email))
                email_changes.append(target)
        else:
            user_id, user_name = outside.get(email, (None, None))
            target = _target(row, data, resolved_new, person=None, user_id=user_id, user_name=user_name)
        targets.append(target)

    if email_changes:
        shared = directory.users_in_other_organizations(t.person.user_id for t in email_changes if t.person)
        for target in email_changes:
            if target.person is not None and target.person.user_id in shared:
                fail(target.row, "email", _(EMAIL_SHARED).format(old=target.person.email))

    deactivate: list[int] = []
    if full_sync:
        deactivate = [
            person.membership_id
            for person in directory.people.values()
            if person.is_active and person.membership_id not in matched and person.membership_id != actor_membership_id
        ]
    leaving = set(deactivate)

    _check_references(targets, directory, fail)
    _check_managers(targets, directory, matched, leaving, fail)
    _check_attributes(targets, directory, titles, fail)

    for target in targets:
        if target.row in error_rows:
            target.action = ERROR
            continue
        _decide(target)

    active = directory.active_count()
    result = Plan(targets, sorted(errors, key=lambda e: e.row), error_rows, deactivate, active)
    if full_sync and deactivate:
        if len(deactivate) * 100 > threshold_percent * active:
            result.failure = _(THRESHOLD_EXCEEDED).format(
                count=len(deactivate),
                active=active,
                percent=round(len(deactivate) * 100 / active, 1),
                threshold=threshold_percent,
            )
        else:
            admins = directory.active_org_admin_ids()
            if admins and admins <= leaving:
                result.failure = _(NO_ADMIN_LEFT)
    return result


def _check_references(targets: list[Target], directory: Directory, fail: Any) -> None:
    """The org units, job roles and locations the rows resolved to still exist (they may go between the two steps)."""
    known = {
        "org_unit_id": directory.unit_ids,
        "job_role_id": set(directory.job_roles.values()),
        "location_id": set(directory.locations.values()),
    }
    for target in targets:
        for key, ids in known.items():
            value = target.fields.get(key)
            if value is not None and value not in ids:
                fail(target.row, key.removesuffix("_id"), _(REFERENCE_GONE))


def _check_managers(
    targets: list[Target],
    directory: Directory,
    matched: dict[int, int],
    leaving: set[int],
    fail: Any,
) -> None:
    """Managers named in the file exist (in the file or the organisation) and no reporting line loops."""
    by_row_email = {target.email: target for target in targets}
    target_of_member = {target.person.membership_id: target for target in targets if target.person is not None}
    # Nodes of the reporting graph: ("r", row) for people in the file, ("m", membership id) for the others.
    Node = tuple[str, int]
    manager_of: dict[Node, Node | None] = {}

    def node_of_member(membership_id: int | None) -> Node | None:
        if membership_id is None:
            return None
        target = target_of_member.get(membership_id)
        return ("r", target.row) if target is not None else ("m", membership_id)

    for target in targets:
        node: Node = ("r", target.row)
        if not target.has_manager:
            manager_of[node] = node_of_member(target.person.manager_id if target.person else None)
            continue
        email = target.manager_email
        manager_of[node] = None
        if email is None:
            continue
        if email == target.email:
            fail(target.row, "manager_email", _(MANAGER_SELF))
            continue
        in_file = by_row_email.get(email)
        if in_file is not None:
            target.manager_row = in_file
            manager_of[node] = ("r", in_file.row)
            continue
        member = directory.by_email.get(email)
        if member is None or member.membership_id in matched:
            # Unknown, or a member whose row in the file changes their email away from this one.
            fail(target.row, "manager_email", _(MANAGER_NOT_FOUND).format(value=email))
        elif member.membership_id in leaving:
            fail(target.row, "manager_email", _(MANAGER_LEAVING).format(value=email))
        elif not member.is_active:
            fail(target.row, "manager_email", _(MANAGER_INACTIVE).format(value=email))
        else:
            target.manager_member = member.membership_id
            manager_of[node] = ("m", member.membership_id)

    def parent(node: Node) -> Node | None:
        if node in manager_of:
            return manager_of[node]
        person = directory.people.get(node[1])
        return node_of_member(person.manager_id) if person is not None else None

    # Each node has at most one manager, so following managers from every file row finds every loop in O(n).
    email_of_row = {target.row: target.email for target in targets}
    done: set[Node] = set()
    for target in targets:
        start: Node = ("r", target.row)
        if start in done:
            continue
        walk: dict[Node, int] = {}
        order: list[Node] = []
        current: Node | None = start
        while current is not None and current not in done and current not in walk:
            walk[current] = len(order)
            order.append(current)
            current = parent(current)
        if current is not None and current in walk:
            loop = order[walk[current] :]
            names = [email_of_row.get(n[1], "") if n[0] == "r" else directory.people[n[1]].email for n in loop]
            chain = " → ".join([*names[:6], *(["…"] if len(names) > 6 else []), names[0]])
            for looped in loop:
                if looped[0] == "r":
                    fail(looped[1], "manager_email", _(MANAGER_CYCLE).format(chain=chain))
        done.update(order)


def _check_attributes(targets: list[Target], directory: Directory, titles: dict[str, str], fail: Any) -> None:
    """Required attributes hold a value once the row's values are merged with the person's current ones."""
    required = [definition.key for definition in directory.definitions if definition.required]
    if not required:
        return
    for target in targets:
        current = target.person.attributes if target.person is not None else {}
        given = target.fields.get("attributes", {})
        for key in required:
            value = given[key] if key in given else current.get(key)
            if value is None or value == "":
                fail(target.row, f"{parsing.ATTRIBUTE_PREFIX}{key}", _(REQUIRED_ATTRIBUTE))


def _decide(target: Target) -> None:
    """Create, update or unchanged: compare the desired state with the person's current one."""
    person = target.person
    if person is None:
        target.action = CREATE
        target.changed_user = target.user_id is not None and target.user_name != target.name
        return
    target.changed_user = person.name != target.name or person.email != target.email
    changed = target.changed_user or not person.is_active or target.new_reference
    for key, value in target.fields.items():
        if key == "attributes":
            changed = changed or merge_attributes(person.attributes, value) != person.attributes
        elif getattr(person, key) != value:
            changed = True
    if target.has_manager and not changed:
        # A manager created by this import has no id yet: that is a change too.
        new_manager = target.manager_row is not None and target.manager_row.person is None
        changed = new_manager or target.desired_manager_id() != person.manager_id
    target.action = UPDATE if changed else UNCHANGED


def merge_attributes(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The person's attributes after the file's values: an empty cell (None) removes a value."""
    merged = dict(current)
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
