"""Checking an imported framework file against itself and the organisation's framework: the plan of an import.

`plan` reads nothing but the organisation's skills and scales (two queries) and writes nothing; the dry run shows
it, and `services.skills_import_apply` makes it again inside its transaction before writing, so what is applied
is always checked against the framework as it is then.

Rules (README.md, "The CSV format"):
- a row whose code exists in the framework updates that skill, any other row creates one; skills not in the file
  are left alone (an import never deletes);
- a column left out of the header keeps what the framework holds (new skills: empty, top-level, no scale); an
  empty cell clears (an empty `parent_code` makes the skill top-level);
- `parent_code` names a skill of the file (before or after the row) or of the framework;
- the resulting tree must have no loops, be at most `MAX_DEPTH` levels deep, and put no active skill under a
  deactivated one;
- `scale` names a proficiency scale of the organisation (case, spaces and the kind of dash do not matter).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from syllabus.accounts.models import Organization
from syllabus.skills import framework_csv as fcsv
from syllabus.skills.framework_csv import Problem
from syllabus.skills.models import ProficiencyScale, Skill

MAX_DEPTH = 10  # levels, top-level skills being the first
CODE_MAX = 80
NAME_MAX = 200
# Only the first problems are listed (the count is exact): past a few hundred, the file needs another look anyway.
MAX_REPORTED_PROBLEMS = 200
LOOP_SHOWN = 6  # codes spelt out in a loop's message
CODE_PATTERN = re.compile(r"^[a-z0-9_-]+$")

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"

REQUIRED = N_("Required.")
CODE_INVALID = N_("“{code}” is not a valid code: use letters, digits, hyphens and underscores only.")
CODE_TOO_LONG = N_("At most {limit} characters.")
NAME_TOO_LONG = N_("At most {limit} characters.")
DUPLICATE_CODE = N_("The code “{code}” is already on line {first}.")
OWN_PARENT = N_("A skill cannot be its own parent.")
UNKNOWN_PARENT = N_("No skill with code “{code}” in the file or the framework.")
UNKNOWN_SCALE = N_("No proficiency scale named “{name}”. Scales: {names}.")
NO_SCALES = N_("No proficiency scale named “{name}”: the organisation has none yet.")
LOOP = N_("These skills would form a loop: {loop}.")
TOO_DEEP = N_("This would put skills {depth} levels deep; the framework allows at most {limit}.")
PARENT_INACTIVE = N_("The skill “{code}” is deactivated: reactivate it first, or choose another parent.")


@dataclass(frozen=True)
class PlannedRow:
    """One row of the file and what importing it does. None: the column is not in the file (kept as it is)."""

    line: int
    code: str
    name: str
    parent_code: str | None
    description: str | None
    scale_id: int | None
    scale_name: str | None
    action: str  # CREATE, UPDATE or UNCHANGED
    changes: tuple[str, ...] = ()  # the fields an update changes: name, parent_code, description, scale


@dataclass
class ImportPlan:
    columns: tuple[str, ...]
    rows: list[PlannedRow]
    problems: list[Problem]  # the first MAX_REPORTED_PROBLEMS, by line
    problem_count: int
    # The framework as read for the plan, by code: the apply step writes through these very rows.
    existing: dict[str, Skill] = field(default_factory=dict, repr=False)

    @property
    def valid(self) -> bool:
        return self.problem_count == 0

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def fingerprint(self) -> str:
        """Digest of everything applying would write: the apply step refuses if it no longer matches the preview."""
        payload = [
            [row.code, row.action, row.name, row.parent_code, row.description, row.scale_id] for row in self.rows
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:32]


def scale_key(name: str) -> str:
    """How scale names are compared: case, runs of spaces and the kind of dash ("1–5", "1-5") do not matter."""
    return " ".join(re.sub(r"[\u2010-\u2015\u2212]", "-", name).casefold().split())


def _check_code(code: str, line: int, column: str, problems: list[Problem]) -> bool:
    if not code:
        problems.append(Problem(line, column, _(REQUIRED)))
        return False
    if len(code) > CODE_MAX:
        problems.append(Problem(line, column, _(CODE_TOO_LONG).format(limit=CODE_MAX)))
        return False
    if not CODE_PATTERN.match(code):
        problems.append(Problem(line, column, _(CODE_INVALID).format(code=code)))
        return False
    return True


@dataclass
class _Checked:
    line: int
    code: str
    name: str
    parent_code: str | None
    description: str | None
    scale: ProficiencyScale | None
    scale_given: bool


def plan(*, organization: Organization, parsed: fcsv.ParsedFile, lock: bool = False) -> ImportPlan:
    """What importing `parsed` into the organisation's framework would do, or every problem that prevents it.

    `lock` reads the framework rows FOR UPDATE (the apply step, inside its transaction).
    """
    problems = list(parsed.problems)
    if parsed.fatal:
        return _finish(parsed.columns, [], problems, {})
    skills = Skill.objects.for_organization(organization).order_by("path")
    if lock:
        skills = skills.select_for_update()
    existing = {skill.code: skill for skill in skills}
    code_by_id = {skill.pk: code for code, skill in existing.items()}
    scales = {scale_key(scale.name): scale for scale in ProficiencyScale.objects.for_organization(organization)}
    has = set(parsed.columns)

    checked: list[_Checked] = []
    first_line: dict[str, int] = {}
    for row in parsed.rows:
        item = _check_row(row, has, scales, first_line, problems)
        if item is not None:
            checked.append(item)

    # The tree after the import, by code: the framework's parents, overridden by the file's.
    parent_of: dict[str, str | None] = {
        code: code_by_id.get(skill.parent_id) if skill.parent_id else None for code, skill in existing.items()
    }
    for item in checked:
        if item.parent_code is not None:
            # A parent whose own row has a problem is still "in the file": that row's problem is the one to fix.
            if item.parent_code and item.parent_code not in first_line and item.parent_code not in existing:
                message = _(UNKNOWN_PARENT).format(code=item.parent_code)
                problems.append(Problem(item.line, fcsv.PARENT_CODE, message))
                parent_of[item.code] = None
                continue
            parent_of[item.code] = item.parent_code or None
        elif item.code not in existing:
            parent_of[item.code] = None
    _check_tree(checked, parent_of, existing, problems)

    rows = [_planned(item, existing.get(item.code), code_by_id) for item in checked]
    return _finish(parsed.columns, rows, problems, existing)


def _check_row(
    row: fcsv.Row,
    has: set[str],
    scales: dict[str, ProficiencyScale],
    first_line: dict[str, int],
    problems: list[Problem],
) -> _Checked | None:
    cells, line = row.cells, row.line
    ok = True
    code = cells[fcsv.CODE].lower()
    if not _check_code(code, line, fcsv.CODE, problems):
        ok = False
    elif code in first_line:
        problems.append(Problem(line, fcsv.CODE, _(DUPLICATE_CODE).format(code=code, first=first_line[code])))
        ok = False
    else:
        first_line[code] = line
    name = cells[fcsv.NAME]
    if not name:
        problems.append(Problem(line, fcsv.NAME, _(REQUIRED)))
        ok = False
    elif len(name) > NAME_MAX:
        problems.append(Problem(line, fcsv.NAME, _(NAME_TOO_LONG).format(limit=NAME_MAX)))
        ok = False
    parent_code: str | None = None
    if fcsv.PARENT_CODE in has:
        parent_code = cells[fcsv.PARENT_CODE].lower()
        if parent_code and not _check_code(parent_code, line, fcsv.PARENT_CODE, problems):
            ok = False
        elif parent_code and parent_code == code:
            problems.append(Problem(line, fcsv.PARENT_CODE, _(OWN_PARENT)))
            ok = False
    scale = None
    if fcsv.SCALE in has and cells[fcsv.SCALE]:
        scale = scales.get(scale_key(cells[fcsv.SCALE]))
        if scale is None:
            names = ", ".join(sorted(s.name for s in scales.values()))
            template = UNKNOWN_SCALE if names else NO_SCALES
            problems.append(Problem(line, fcsv.SCALE, _(template).format(name=cells[fcsv.SCALE], names=names)))
            ok = False
    if not ok:
        return None
    return _Checked(
        line=line,
        code=code,
        name=name,
        parent_code=parent_code,
        description=cells[fcsv.DESCRIPTION] if fcsv.DESCRIPTION in has else None,
        scale=scale,
        scale_given=fcsv.SCALE in has,
    )


def _check_tree(
    checked: list[_Checked],
    parent_of: dict[str, str | None],
    existing: dict[str, Skill],
    problems: list[Problem],
) -> None:
    """Loops, depth and deactivated parents of the tree the import would make."""
    in_file = {item.code: item for item in checked}
    loops = _loops(parent_of)
    in_loop: set[str] = set()
    for item in checked:
        if item.code in loops:  # every loop holds a row of the file: the framework itself has none
            in_loop.add(item.code)
            message = _(LOOP).format(loop=_describe_loop(*loops[item.code]))
            problems.append(Problem(item.line, fcsv.PARENT_CODE, message))

    depths: dict[str, int] = {}

    def depth(code: str) -> int:
        # Iterative and memoised (a hostile file may chain thousands of rows); only called when there is no loop.
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in depths:
            chain.append(current)
            current = parent_of.get(current)
        base = depths.get(current, 0) if current is not None else 0
        for offset, member in enumerate(reversed(chain)):
            depths[member] = base + offset + 1
        return depths[code]

    blamed: dict[str, int] = {}
    # With a loop the depths mean nothing: the loop is reported, the depth after it is fixed.
    for code in parent_of if not in_loop else ():
        if depth(code) <= MAX_DEPTH:
            continue
        # Blame the row of the file nearest above the skill that ends up too deep: that row moved the branch.
        current: str | None = code
        while current is not None and current not in in_file:
            current = parent_of.get(current)
        if current is not None and current not in blamed:
            blamed[current] = depths[code]
    for code, too_deep in blamed.items():
        message = _(TOO_DEEP).format(depth=too_deep, limit=MAX_DEPTH)
        problems.append(Problem(in_file[code].line, fcsv.PARENT_CODE, message))

    def active(code: str) -> bool:
        skill = existing.get(code)
        return skill.is_active if skill is not None else True

    for item in checked:
        parent = parent_of.get(item.code)
        if item.code not in in_loop and parent and active(item.code) and not active(parent):
            problems.append(Problem(item.line, fcsv.PARENT_CODE, _(PARENT_INACTIVE).format(code=parent)))


def _describe_loop(loop: list[str], offset: int) -> str:
    """The loop read from its `offset`-th code: "a → c → b → a"; a long one is cut in the middle."""
    codes = [*loop[offset:], *loop[:offset]]
    if len(codes) > LOOP_SHOWN:
        return " → ".join([*codes[: LOOP_SHOWN - 1], "…", codes[0]]) + _(" ({count} skills)").format(count=len(codes))
    return " → ".join([*codes, codes[0]])


def _loops(parent_of: dict[str, str | None]) -> dict[str, tuple[list[str], int]]:
    """Every code on a loop, with its loop and its place in it, in time linear in the tree's size."""
    on_walk, done = 1, 2
    state: dict[str, int] = {}
    found: dict[str, tuple[list[str], int]] = {}
    for start in parent_of:
        if start in state:
            continue
        walk: list[str] = []
        position: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in state:
            state[current] = on_walk
            position[current] = len(walk)
            walk.append(current)
            current = parent_of.get(current)
        if current is not None and state[current] == on_walk:  # the walk came back on itself
            loop = walk[position[current] :]
            for offset, code in enumerate(loop):
                found[code] = (loop, offset)
        for code in walk:
            state[code] = done
    return found


def _planned(item: _Checked, skill: Skill | None, code_by_id: dict[int, str]) -> PlannedRow:
    scale_id = item.scale.pk if item.scale is not None else None
    scale_name = item.scale.name if item.scale is not None else ("" if item.scale_given else None)
    if skill is None:
        return PlannedRow(
            item.line, item.code, item.name, item.parent_code, item.description, scale_id, scale_name, CREATE
        )
    changes = []
    if item.name != skill.name:
        changes.append(fcsv.NAME)
    if item.parent_code is not None and (item.parent_code or None) != code_by_id.get(skill.parent_id or 0):
        changes.append(fcsv.PARENT_CODE)
    if item.description is not None and item.description != skill.description:
        changes.append(fcsv.DESCRIPTION)
    if item.scale_given and scale_id != skill.scale_id:
        changes.append(fcsv.SCALE)
    return PlannedRow(
        item.line,
        item.code,
        item.name,
        item.parent_code,
        item.description,
        scale_id if item.scale_given else skill.scale_id,
        scale_name,
        UPDATE if changes else UNCHANGED,
        tuple(changes),
    )


def _finish(
    columns: tuple[str, ...], rows: list[PlannedRow], problems: list[Problem], existing: dict[str, Skill]
) -> ImportPlan:
    field_order = {key: index for index, key in enumerate(("", *fcsv.COLUMNS))}
    problems.sort(key=lambda p: (p.line, field_order.get(p.field, len(field_order))))
    return ImportPlan(
        columns=columns,
        rows=rows if not problems else [],
        problems=problems[:MAX_REPORTED_PROBLEMS],
        problem_count=len(problems),
        existing=existing,
    )
