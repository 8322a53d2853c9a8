"""The audience rule language: a JSON tree, validated, compiled to one SQL filter, and described in words.

A rule is one node:

    {"all": [node, ...]}      every child matches (an empty list matches everyone)
    {"any": [node, ...]}      at least one child matches (an empty list matches nobody)
    {"not": node}             the child does not match
    {"org_unit": 12, "include_sub_units": true}
    {"job_role": [3, 4]}      any of these job roles
    {"location": [7]}         any of these locations
    {"hire_date": {"before": "2024-01-01"}}   strictly before; {"after": ...} strictly after;
    {"hire_date": {"within_days": 30}}        hired between today - 30 days and today (the organisation's today)
    {"attribute": {"key": "grade", "op": "eq", "value": "Band 5"}}
    {"audience": 5}           a member of another audience (its rules, inlined)

Conditions only ever match active members of the organisation. A person without a value (no org unit, no hire date,
attribute not set) matches no condition on it, so `not` of that condition matches them: `not` is always the exact
complement. Attribute operators depend on the attribute's type (`OPERATORS`); values are cleaned like stored values
(`accounts.attributes.clean_value`), so numbers compare as numbers and dates as ISO dates. `contains` ignores case.
`neq` is `not eq`: it matches people without the attribute too (add `is_set` to exclude them).

`validate` names every error by its path in the tree ("rules.all[1].attribute.value"); ids must belong to the
organisation. `matching_memberships` compiles the tree into one queryset over Membership — no per-person loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.accounts.attributes import clean_value
from syllabus.accounts.models import AttributeDefinition, JobRole, Location, Membership, Organization, OrgUnit
from syllabus.audiences.models import Audience, AudienceReference
from syllabus.core import clock

ROOT = "rules"
MAX_DEPTH = 10  # nesting of all / any / not within one rule
MAX_NODES = 200  # nodes in one rule, so a rule stays one reasonable SQL statement
MAX_IDS = 500  # ids in one job_role / location list
MAX_REFERENCE_DEPTH = 5  # audience -> audience -> ... chains
MAX_WITHIN_DAYS = 36_600

GROUPS = ("all", "any")
LEAVES = ("org_unit", "job_role", "location", "hire_date", "attribute", "audience")
HIRE_DATE_MODES = ("before", "after", "within_days")
Type = AttributeDefinition.Type
OPERATORS: dict[str, tuple[str, ...]] = {
    Type.TEXT: ("eq", "neq", "in", "contains", "is_set"),
    Type.CHOICE: ("eq", "neq", "in", "is_set"),
    Type.NUMBER: ("eq", "neq", "in", "lt", "lte", "gt", "gte", "is_set"),
    Type.DATE: ("eq", "neq", "in", "lt", "lte", "gt", "gte", "is_set"),
}
ALL_OPERATORS = ("eq", "neq", "in", "contains", "lt", "lte", "gt", "gte", "is_set")

# Explicit constants: Django reads an empty Q() as "no filter" even under ~, so it cannot stand for "everyone".
NOBODY = Q(pk__in=[])
EVERYONE = ~Q(pk__in=[])

# Error messages (module constants, so tests can assert them).
NOT_AN_OBJECT = "Expected an object with one condition or group."
UNKNOWN_NODE = "Expected exactly one of: all, any, not, org_unit, job_role, location, hire_date, attribute, audience."
UNEXPECTED_KEYS = "Unexpected keys: {keys}."
NOT_A_LIST = "Expected a list of conditions."
TOO_DEEP = f"Rules may nest at most {MAX_DEPTH} levels."
TOO_BIG = f"A rule may have at most {MAX_NODES} conditions and groups."
NOT_AN_ID = "Expected an id (a whole number)."
NOT_ID_LIST = "Expected a non-empty list of ids."
TOO_MANY_IDS = f"At most {MAX_IDS} ids."
NOT_A_BOOLEAN = "Expected true or false."
UNKNOWN_ID = "No {kind} with id {id} in this organisation."
HIRE_DATE_ONE_MODE = "Expected exactly one of: before, after, within_days."
NOT_A_DATE = "Expected a date as YYYY-MM-DD."
NOT_DAYS = f"Expected a whole number of days from 0 to {MAX_WITHIN_DAYS}."
UNKNOWN_ATTRIBUTE = "No custom attribute with key {key!r} in this organisation."
UNKNOWN_OPERATOR = "Unknown operator {op!r}: expected one of {ops}."
OPERATOR_NOT_FOR_TYPE = "Operator {op!r} does not apply to a {type} attribute; use one of {ops}."
VALUE_REQUIRED = "A value is required."
NO_VALUE_FOR_IS_SET = "is_set takes no value."
NOT_A_VALUE_LIST = "Expected a non-empty list of values."
SELF_REFERENCE = "An audience cannot include itself."
REFERENCE_CYCLE = "This would make a cycle: audience {id} already includes this audience."
REFERENCE_TOO_DEEP = f"Audiences may include each other at most {MAX_REFERENCE_DEPTH} levels deep."

KIND_LABELS = {
    "org_unit": gettext_lazy("org unit"),
    "job_role": gettext_lazy("job role"),
    "location": gettext_lazy("location"),
    "audience": gettext_lazy("audience"),
}


@dataclass(frozen=True)
class CleanedRules:
    """A validated rule tree in its stored form, with what the services keep beside it."""

    tree: dict[str, Any]
    references: frozenset[int]  # audience ids named directly
    is_time_based: bool  # uses today's date (within_days)


@dataclass
class _Validation:
    organization: Organization
    audience_id: int | None
    definitions: dict[str, AttributeDefinition]
    errors: dict[str, list[str]] = field(default_factory=dict)
    ids: dict[str, dict[int, list[str]]] = field(default_factory=lambda: {kind: {} for kind in KIND_LABELS})
    nodes: int = 0
    time_based: bool = False

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def need(self, kind: str, pk: int, path: str) -> None:
        self.ids[kind].setdefault(pk, []).append(path)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _clean_node(node: Any, path: str, depth: int, state: _Validation) -> dict[str, Any] | None:
    state.nodes += 1
    if state.nodes == MAX_NODES + 1:
        state.error(ROOT, TOO_BIG)
    if depth > MAX_DEPTH:
        state.error(path, TOO_DEEP)
        return None
    if not isinstance(node, Mapping):
        state.error(path, NOT_AN_OBJECT)
        return None
    kinds = [key for key in node if key in (*GROUPS, "not", *LEAVES)]
    if len(kinds) != 1:
        state.error(path, UNKNOWN_NODE)
        return None
    kind = kinds[0]
    allowed = {kind, "include_sub_units"} if kind == "org_unit" else {kind}
    extra = sorted(str(key) for key in node if key not in allowed)
    if extra:
        state.error(path, UNEXPECTED_KEYS.format(keys=", ".join(extra)))
    value = node[kind]
    here = f"{path}.{kind}"
    if kind in GROUPS:
        if not isinstance(value, list):
            state.error(here, NOT_A_LIST)
            return None
        children = [_clean_node(child, f"{here}[{index}]", depth + 1, state) for index, child in enumerate(value)]
        return {kind: [child for child in children if child is not None]}
    if kind == "not":
        child = _clean_node(value, here, depth + 1, state)
        return None if child is None else {"not": child}
    return _clean_leaf(kind, value, node, here, state)


def _clean_leaf(kind: str, value: Any, node: Mapping[str, Any], here: str, state: _Validation) -> dict[str, Any] | None:
    if kind in ("org_unit", "audience"):
        if not _is_id(value):
            state.error(here, NOT_AN_ID)
            return None
        state.need(kind, value, here)
        if kind == "audience":
            return {"audience": value}
        include = node.get("include_sub_units", True)
        if not isinstance(include, bool):
            state.error(here.removesuffix(".org_unit") + ".include_sub_units", NOT_A_BOOLEAN)
            return None
        return {"org_unit": value, "include_sub_units": include}
    if kind in ("job_role", "location"):
        ids = [value] if _is_id(value) else value
        if not isinstance(ids, list) or not ids or not all(_is_id(pk) for pk in ids):
            state.error(here, NOT_ID_LIST)
            return None
        if len(ids) > MAX_IDS:
            state.error(here, TOO_MANY_IDS)
            return None
        for pk in ids:
            state.need(kind, pk, here)
        return {kind: sorted(set(ids))}
    if kind == "hire_date":
        return _clean_hire_date(value, here, state)
    return _clean_attribute(value, here, state)


def _clean_hire_date(value: Any, here: str, state: _Validation) -> dict[str, Any] | None:
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in HIRE_DATE_MODES:
        state.error(here, HIRE_DATE_ONE_MODE)
        return None
    mode, argument = next(iter(value.items()))
    if mode == "within_days":
        if not isinstance(argument, int) or isinstance(argument, bool) or not 0 <= argument <= MAX_WITHIN_DAYS:
            state.error(f"{here}.within_days", NOT_DAYS)
            return None
        state.time_based = True
        return {"hire_date": {"within_days": argument}}
    try:
        day = dt.date.fromisoformat(argument) if isinstance(argument, str) else None
    except ValueError:
        day = None
    if day is None:
        state.error(f"{here}.{mode}", NOT_A_DATE)
        return None
    return {"hire_date": {mode: day.isoformat()}}


def _clean_attribute(value: Any, here: str, state: _Validation) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        state.error(here, NOT_AN_OBJECT)
        return None
    extra = sorted(str(key) for key in value if key not in ("key", "op", "value"))
    if extra:
        state.error(here, UNEXPECTED_KEYS.format(keys=", ".join(extra)))
    key, op = value.get("key"), value.get("op")
    definition = state.definitions.get(key) if isinstance(key, str) else None
    if definition is None:
        state.error(f"{here}.key", UNKNOWN_ATTRIBUTE.format(key=key))
        return None
    if op not in ALL_OPERATORS:
        state.error(f"{here}.op", UNKNOWN_OPERATOR.format(op=op, ops=", ".join(ALL_OPERATORS)))
        return None
    allowed = OPERATORS[definition.type]
    if op not in allowed:
        kind = definition.get_type_display().lower()
        state.error(f"{here}.op", OPERATOR_NOT_FOR_TYPE.format(op=op, type=kind, ops=", ".join(allowed)))
        return None
    if op == "is_set":
        if value.get("value") not in (None, True):
            state.error(f"{here}.value", NO_VALUE_FOR_IS_SET)
            return None
        return {"attribute": {"key": key, "op": op}}
    raw = value.get("value")
    if op == "in":
        if not isinstance(raw, list) or not raw:
            state.error(f"{here}.value", NOT_A_VALUE_LIST)
            return None
        cleaned_list = []
        for index, item in enumerate(raw):
            cleaned_item = _clean_attribute_value(definition, item, f"{here}.value[{index}]", state)
            if cleaned_item is None:
                return None
            cleaned_list.append(cleaned_item)
        return {"attribute": {"key": key, "op": op, "value": list(dict.fromkeys(cleaned_list))}}
    cleaned = _clean_attribute_value(definition, raw, f"{here}.value", state)
    if cleaned is None:
        return None
    if op == "contains" and not str(cleaned):
        state.error(f"{here}.value", VALUE_REQUIRED)
        return None
    return {"attribute": {"key": key, "op": op, "value": cleaned}}


def _clean_attribute_value(definition: AttributeDefinition, raw: Any, path: str, state: _Validation) -> Any:
    if raw is None or raw == "":
        state.error(path, VALUE_REQUIRED)
        return None
    try:
        return clean_value(definition, raw)
    except ValidationError as exc:
        for message in exc.messages:
            state.error(path, message)
        return None


def validate(rules: Any, *, organization: Organization, audience_id: int | None = None) -> CleanedRules:
    """Check a rule tree for `organization` and return it in stored form; raise ValidationError naming each path.

    `audience_id` is the audience being edited (None for a new one), for the self-reference and cycle checks.
    """
    definitions = {d.key: d for d in AttributeDefinition.objects.for_organization(organization)}
    state = _Validation(organization=organization, audience_id=audience_id, definitions=definitions)
    tree = _clean_node(rules, ROOT, 0, state)
    _check_ids(state)
    if state.ids["audience"] and not state.errors:
        _check_references(state)
    if state.errors or tree is None:
        raise ValidationError(state.errors or {ROOT: [NOT_AN_OBJECT]})
    return CleanedRules(tree=tree, references=frozenset(state.ids["audience"]), is_time_based=state.time_based)


def _check_ids(state: _Validation) -> None:
    models: dict[str, Any] = {"org_unit": OrgUnit, "job_role": JobRole, "location": Location, "audience": Audience}
    for kind, wanted in state.ids.items():
        if not wanted:
            continue
        rows = models[kind].objects.filter(organization=state.organization, pk__in=list(wanted))
        found = set(rows.values_list("pk", flat=True))
        for pk, paths in wanted.items():
            if pk not in found:
                for path in paths:
                    state.error(path, UNKNOWN_ID.format(kind=KIND_LABELS[kind], id=pk))


def _check_references(state: _Validation) -> None:
    edges: dict[int, set[int]] = {}
    for source, target in AudienceReference.objects.filter(source__organization=state.organization).values_list(
        "source_id", "target_id"
    ):
        edges.setdefault(source, set()).add(target)
    me = state.audience_id
    if me is not None:
        edges[me] = set(state.ids["audience"])  # the edges as they would be after saving

    def height(node: int, trail: tuple[int, ...]) -> int:
        """Length of the longest reference chain below `node`; raises on a cycle back to the edited audience."""
        if node in trail:
            raise _Cycle(node)
        return max((1 + height(child, (*trail, node)) for child in edges.get(node, ())), default=0)

    for target, paths in state.ids["audience"].items():
        if target == me:
            for path in paths:
                state.error(path, SELF_REFERENCE)
            continue
        try:
            below = height(target, (me,) if me is not None else ())
        except _Cycle:
            for path in paths:
                state.error(path, REFERENCE_CYCLE.format(id=target))
            continue
        if below + 1 > MAX_REFERENCE_DEPTH:
            for path in paths:
                state.error(path, REFERENCE_TOO_DEEP)


class _Cycle(Exception):
    pass


# --- compiling to SQL -----------------------------------------------------------------------------------------


def walk(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every node of a stored tree, depth first."""
    yield tree
    for kind in GROUPS:
        for child in tree.get(kind, ()):
            yield from walk(child)
    if "not" in tree:
        yield from walk(tree["not"])


def organization_today(organization: Organization) -> dt.date:
    """Today in the organisation's time zone: "hired within 30 days" turns over at the organisation's midnight."""
    try:
        zone = zoneinfo.ZoneInfo(organization.default_time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return clock.now().astimezone(zone).date()


@dataclass
class _Compiler:
    organization: Organization
    today: dt.date
    trees: dict[int, dict[str, Any]]  # referenced audiences' rules, by id
    unit_paths: dict[int, str]
    aliases: dict[str, KeyTransform] = field(default_factory=dict)

    def alias_for(self, key: str) -> str:
        # Attribute values are reached through an alias (not `attributes__<key>`), so any key works, even one
        # with a double underscore or one named like a lookup.
        for name, transform in self.aliases.items():
            if transform.key_name == key:
                return name
        name = f"_audience_attr_{len(self.aliases)}"
        self.aliases[name] = KeyTransform(key, "attributes")
        return name

    def q(self, node: Mapping[str, Any], trail: tuple[int, ...] = ()) -> Q:
        for kind, combine, empty in (("all", operator.and_, EVERYONE), ("any", operator.or_, NOBODY)):
            if kind in node:
                children = [self.q(child, trail) for child in node[kind]]
                return functools.reduce(combine, children) if children else empty
        if "not" in node:
            return ~self.q(node["not"], trail)
        if "org_unit" in node:
            pk = node["org_unit"]
            if not node.get("include_sub_units", True):
                return Q(org_unit_id=pk)
            path = self.unit_paths.get(pk)
            if path is None:  # the unit was deleted since: nobody is in it
                return NOBODY
            subtree = OrgUnit.objects.filter(OrgUnit.subtree_q(path), organization=self.organization)
            return Q(org_unit_id__in=subtree.values("pk"))
        if "job_role" in node:
            return Q(job_role_id__in=node["job_role"])
        if "location" in node:
            return Q(location_id__in=node["location"])
        if "hire_date" in node:
            return self.hire_date_q(node["hire_date"])
        if "attribute" in node:
            return self.attribute_q(node["attribute"])
        if "audience" in node:
            pk = node["audience"]
            tree = self.trees.get(pk)
            if tree is None or pk in trail:  # deleted, or a cycle that validation should have refused
                return NOBODY
            return self.q(tree, (*trail, pk))
        raise ValueError(f"Not a stored rule node: {node!r}")

    def hire_date_q(self, condition: Mapping[str, Any]) -> Q:
        if "within_days" in condition:
            since = self.today - dt.timedelta(days=condition["within_days"])
            return Q(hire_date__gte=since, hire_date__lte=self.today)
        if "before" in condition:
            return Q(hire_date__lt=dt.date.fromisoformat(condition["before"]))
        return Q(hire_date__gt=dt.date.fromisoformat(condition["after"]))

    def attribute_q(self, condition: Mapping[str, Any]) -> Q:
        key, op, value = condition["key"], condition["op"], condition.get("value")
        # has_key first: a missing key must make the condition false, not SQL NULL, or `not` would lose the person.
        is_set = Q(attributes__has_key=key)
        if op == "is_set":
            return is_set
        alias = self.alias_for(key)
        if op == "neq":
            return ~(is_set & Q(**{f"{alias}__exact": value}))
        lookup = {"eq": "exact", "in": "in", "contains": "icontains"}.get(op, op)
        return is_set & Q(**{f"{alias}__{lookup}": value})


def _load_references(organization: Organization, trees: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """The rules of every audience reachable through audience conditions (one query per level)."""
    loaded: dict[int, dict[str, Any]] = {}
    pending = {node["audience"] for tree in trees for node in walk(tree) if "audience" in node}
    for _level in range(MAX_REFERENCE_DEPTH + 1):
        pending -= set(loaded)
        if not pending:
            break
        rows = Audience.objects.filter(organization=organization, pk__in=pending).values_list("pk", "rules")
        found = dict(rows)
        loaded.update(found)
        pending = {node["audience"] for tree in found.values() for node in walk(tree) if "audience" in node}
    return loaded


def compile_rules(
    tree: Mapping[str, Any], *, organization: Organization, today: dt.date | None = None
) -> tuple[Q, dict[str, KeyTransform]]:
    """A stored tree as (Q on Membership, aliases the Q needs). Two or three small queries, whatever the size."""
    trees = _load_references(organization, [tree])
    units = {node["org_unit"] for t in (tree, *trees.values()) for node in walk(t) if node.get("include_sub_units")}
    paths = dict(OrgUnit.objects.filter(organization=organization, pk__in=units).values_list("pk", "path"))
    compiler = _Compiler(
        organization=organization,
        today=today or organization_today(organization),
        trees=trees,
        unit_paths=paths,
    )
    return compiler.q(tree), compiler.aliases


def matching_memberships(
    tree: Mapping[str, Any], *, organization: Organization, today: dt.date | None = None
) -> QuerySet[Membership]:
    """The active members of `organization` who match a stored tree: one SQL query when evaluated."""
    q, aliases = compile_rules(tree, organization=organization, today=today)
    people = Membership.objects.filter(organization=organization, is_active=True).alias(**aliases).filter(q)
    # No default ordering (by the user's name): it would join and sort every match for nothing.
    return people.order_by()


# --- describing a rule in words ---------------------------------------------------------------------------------


@dataclass
class Described:
    """One line of a rule described for people, with the lines below it (for groups)."""

    text: str
    children: list[Described] = field(default_factory=list)


def describe(tree: Mapping[str, Any], *, organization: Organization) -> Described:
    """The rule as nested sentences ("All of: Department is Sales or below, ..."), in five queries at most."""
    nodes = list(walk(tree))

    def ids(kind: str) -> set[int]:
        out: set[int] = set()
        for node in nodes:
            if kind in node:
                value = node[kind]
                out.update(value if isinstance(value, list) else [value])
        return out

    def names(model: Any, kind: str) -> dict[int, str]:
        wanted = ids(kind)
        if not wanted:
            return {}
        return dict(model.objects.filter(organization=organization, pk__in=wanted).values_list("pk", "name"))

    lookup = {
        "org_unit": names(OrgUnit, "org_unit"),
        "job_role": names(JobRole, "job_role"),
        "location": names(Location, "location"),
        "audience": names(Audience, "audience"),
    }
    labels = dict(AttributeDefinition.objects.for_organization(organization).values_list("key", "label"))
    return _describe(tree, lookup, labels)


def _name(lookup: dict[str, dict[int, str]], kind: str, pk: int) -> str:
    return lookup[kind].get(pk) or _("(deleted %(kind)s #%(id)s)") % {"kind": KIND_LABELS[kind], "id": pk}


def _describe(node: Mapping[str, Any], lookup: dict[str, dict[int, str]], labels: dict[str, str]) -> Described:
    if "all" in node:
        if not node["all"]:
            return Described(_("Everyone in the organisation"))
        return Described(_("All of:"), [_describe(child, lookup, labels) for child in node["all"]])
    if "any" in node:
        if not node["any"]:
            return Described(_("Nobody"))
        return Described(_("Any of:"), [_describe(child, lookup, labels) for child in node["any"]])
    if "not" in node:
        inner = _describe(node["not"], lookup, labels)
        if inner.children:
            return Described(_("None of the following:"), [inner])
        return Described(_("Not: %(condition)s") % {"condition": inner.text})
    if "org_unit" in node:
        unit = _name(lookup, "org_unit", node["org_unit"])
        if node.get("include_sub_units", True):
            return Described(_("Department is %(unit)s or below") % {"unit": unit})
        return Described(_("Department is %(unit)s (not its sub-units)") % {"unit": unit})
    for kind, label in (("job_role", _("Job role")), ("location", _("Location"))):
        if kind in node:
            values = ", ".join(_name(lookup, kind, pk) for pk in node[kind])
            return Described(_("%(label)s is one of: %(values)s") % {"label": label, "values": values})
    if "hire_date" in node:
        condition = node["hire_date"]
        if "within_days" in condition:
            return Described(_("Hired within the last %(days)s days") % {"days": condition["within_days"]})
        if "before" in condition:
            return Described(_("Hired before %(date)s") % {"date": condition["before"]})
        return Described(_("Hired after %(date)s") % {"date": condition["after"]})
    if "attribute" in node:
        condition = node["attribute"]
        label = labels.get(condition["key"], condition["key"])
        return Described(_describe_attribute(label, condition["op"], condition.get("value")))
    if "audience" in node:
        return Described(_("Member of the audience %(name)s") % {"name": _name(lookup, "audience", node["audience"])})
    return Described(str(node))


OPERATOR_LABELS = {
    "eq": gettext_lazy("is"),
    "neq": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "contains": gettext_lazy("contains"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "gt": gettext_lazy("is more than"),
    "gte": gettext_lazy("is at least"),
    "is_set": gettext_lazy("is set"),
}


def _describe_attribute(label: str, op: str, value: Any) -> str:
    operator = OPERATOR_LABELS.get(op, op)
    if op == "is_set":
        return f"{label} {operator}"
    shown = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return f"{label} {operator} {shown}"
