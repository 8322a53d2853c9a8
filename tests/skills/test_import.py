"""The framework CSV: a good file, each kind of problem (by line and column), all-or-nothing, and the export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.core import events as core_events
from syllabus.skills import events, framework_csv, imports, selectors, services
from syllabus.skills.models import Skill
from tests.skills.conftest import add, csv_bytes

pytestmark = pytest.mark.django_db

HEADER = "code,name,parent_code,description,scale"
GOOD = (
    HEADER,
    # Children before their parents: the file is read as a whole.
    "hand-hygiene,Hand hygiene,infection-control,The five moments for hand hygiene.,1-5",
    "infection-control,Infection control,patient-safety,,1–5",
    "patient-safety,Patient safety,,Keeping patients from avoidable harm.,",
    'sbar,SBAR handover,communication,"Situation, background,\nassessment, recommendation.",1-5',
    "communication,Communication,,,",
)


def preview(world, data: bytes):
    return services.skills_import_preview(organization=world.org, by=world.org_admin.user, data=data)


def apply(world, data: bytes, **kwargs):
    return services.skills_import_apply(organization=world.org, by=world.org_admin.user, data=data, **kwargs)


def problems(world, *lines: str) -> list[str]:
    plan = preview(world, csv_bytes(*lines))
    assert not plan.valid
    return [str(problem) for problem in plan.problems]


@pytest.fixture
def scale(world):
    return services.scale_create_default(organization=world.org, by=world.org_admin.user)


# --- a good file -----------------------------------------------------------------------------------------------


def test_a_good_file_is_previewed_then_applied_as_a_tree(world, scale, django_capture_on_commit_callbacks):
    seen: list[object] = []
    core_events.subscribe(events.SkillsImported, seen.append)
    plan = preview(world, csv_bytes(*GOOD))
    assert plan.valid, [str(p) for p in plan.problems]
    assert [(row.line, row.code, row.action) for row in plan.rows] == [
        (2, "hand-hygiene", imports.CREATE),
        (3, "infection-control", imports.CREATE),
        (4, "patient-safety", imports.CREATE),
        (5, "sbar", imports.CREATE),
        (7, "communication", imports.CREATE),  # the quoted description spans lines 5 and 6
    ]
    assert not Skill.objects.exists()  # the preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        result = apply(world, csv_bytes(*GOOD), fingerprint=plan.fingerprint)
    core_events.unsubscribe(events.SkillsImported, seen.append)
    skills = {skill.code: skill for skill in Skill.objects.all()}
    safety, infection, hygiene = skills["patient-safety"], skills["infection-control"], skills["hand-hygiene"]
    assert hygiene.path == f"/{safety.pk}/{infection.pk}/{hygiene.pk}/"
    assert hygiene.parent_id == infection.pk and hygiene.scale_id == scale.pk
    assert safety.scale_id is None and safety.description == "Keeping patients from avoidable harm."
    assert skills["sbar"].description == "Situation, background,\nassessment, recommendation."
    assert len(result.created_ids) == 5
    record = AuditRecord.objects.get(action="skills.imported")
    assert record.summary["created"] == 5 and record.summary["count"] == 5
    assert seen == [events.SkillsImported(world.org.pk, world.org_admin.user.pk, result.created_ids, ())]
    tree = selectors.skill_tree(world.org)
    assert [node.skill.name for node in tree] == ["Communication", "Patient safety"]


def test_a_file_with_a_byte_order_mark_and_semicolons_is_read(world, scale):
    data = csv_bytes("Code;Name;Parent code", "leadership;Leadership;", "coaching;Coaching;leadership", bom=True)
    plan = preview(world, data)
    assert plan.valid, [str(p) for p in plan.problems]
    assert plan.columns == ("code", "name", "parent_code")
    apply(world, data)
    assert Skill.objects.get(code="coaching").parent.code == "leadership"


def test_importing_the_same_file_again_changes_nothing(world, scale):
    apply(world, csv_bytes(*GOOD))
    records = AuditRecord.objects.count()
    result = apply(world, csv_bytes(*GOOD))
    assert result.plan.count(imports.UNCHANGED) == 5
    assert result.created_ids == result.updated_ids == ()
    assert AuditRecord.objects.count() == records


def test_an_import_updates_moves_and_keeps_columns_it_does_not_have(world, scale):
    apply(world, csv_bytes(*GOOD))
    sbar = Skill.objects.get(code="sbar")
    data = csv_bytes("code,name,parent_code", "SBAR,SBAR handover,patient-safety", "patient-safety,Safety first,")
    plan = preview(world, data)
    assert [(row.code, row.action, row.changes) for row in plan.rows] == [
        ("sbar", imports.UPDATE, ("parent_code",)),
        ("patient-safety", imports.UPDATE, ("name",)),
    ]
    apply(world, data)
    sbar.refresh_from_db()
    safety = Skill.objects.get(code="patient-safety")
    assert sbar.parent_id == safety.pk and sbar.path == f"/{safety.pk}/{sbar.pk}/"
    assert safety.name == "Safety first"
    assert sbar.description.startswith("Situation") and sbar.scale_id == scale.pk  # columns left out are kept
    # Moving a branch rewrites the paths of skills below it that are not in the file.
    data = csv_bytes("code,name,parent_code", "infection-control,Infection control,communication")
    apply(world, data)
    hygiene = Skill.objects.get(code="hand-hygiene")
    assert hygiene.path.startswith(Skill.objects.get(code="communication").path)


def test_empty_cells_clear_and_an_empty_parent_makes_a_skill_top_level(world, scale):
    apply(world, csv_bytes(*GOOD))
    apply(world, csv_bytes(HEADER, "hand-hygiene,Hand hygiene,,,"))
    hygiene = Skill.objects.get(code="hand-hygiene")
    assert (hygiene.parent_id, hygiene.description, hygiene.scale_id) == (None, "", None)
    assert hygiene.path == f"/{hygiene.pk}/"


# --- problems, each named by line and column -----------------------------------------------------------------


def test_an_unknown_parent_is_named_by_line_and_column(world, scale):
    found = problems(world, HEADER, "a,A,,,", "b,B,a,,", "c,C,abc,,")
    assert found == ["line 4, parent_code: No skill with code “abc” in the file or the framework."]


def test_row_problems_are_all_reported_in_line_order(world, scale):
    found = problems(
        world,
        HEADER,
        "ok,Fine,,,",
        "ok,Twice,,,",
        "bad code!,Name,,,",
        ",No code,,,",
        "no-name,,,,",
        "self,Self,self,,",
        "scaled,Scaled,,,Stars",
        "short,Short",
    )
    assert found == [
        "line 3, code: The code “ok” is already on line 2.",
        "line 4, code: “bad code!” is not a valid code: use letters, digits, hyphens and underscores only.",
        "line 5, code: Required.",
        "line 6, name: Required.",
        "line 7, parent_code: A skill cannot be its own parent.",
        "line 8, scale: No proficiency scale named “Stars”. Scales: 1–5.",
        "line 9: The row has 2 cells but the header has 5: a cell is missing or a comma too many.",
    ]


def test_a_loop_is_reported_on_every_row_in_it(world, scale):
    found = problems(world, "code,name,parent_code", "a,A,c", "b,B,a", "c,C,b", "d,D,a")
    assert found == [
        "line 2, parent_code: These skills would form a loop: a → c → b → a.",
        "line 3, parent_code: These skills would form a loop: b → a → c → b.",
        "line 4, parent_code: These skills would form a loop: c → b → a → c.",
    ]


def test_a_loop_through_the_existing_framework_is_found(world, scale):
    top = add(world, "top", "Top")
    add(world, "below", "Below", top)
    found = problems(world, "code,name,parent_code", "top,Top,below")
    assert found == ["line 2, parent_code: These skills would form a loop: top → below → top."]


def test_too_deep_a_tree_is_refused(world, scale):
    lines = ["code,name,parent_code"] + [f"s{i},S{i},{f's{i - 1}' if i else ''}" for i in range(imports.MAX_DEPTH + 1)]
    found = problems(world, *lines)
    assert found == [
        f"line {imports.MAX_DEPTH + 2}, parent_code: This would put skills {imports.MAX_DEPTH + 1} levels deep; "
        f"the framework allows at most {imports.MAX_DEPTH}."
    ]


def test_a_new_skill_under_a_deactivated_one_is_refused(world, scale):
    retired = add(world, "retired", "Retired")
    services.skill_deactivate(skill=retired, by=world.org_admin.user)
    found = problems(world, "code,name,parent_code", "fresh,Fresh,retired")
    assert found == [
        "line 2, parent_code: The skill “retired” is deactivated: reactivate it first, or choose another parent."
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ("name,code,colour",),
            ["line 1, colour: Unknown column. The columns are: code, name, parent_code, description, scale."],
        ),
        (("code,name,name",), ["line 1, name: This column appears twice in the header."]),
        (("code,,name",), ["line 1, #2: A header cell is empty: every column needs a name."]),
        (("name,description",), ["line 1, code: The header has no “code” column; it is required."]),
        (("code,name",), ["The file has a header but no skills."]),
        (("", "  "), ["The file is empty."]),
    ],
)
def test_header_problems_stop_the_file(world, lines, expected):
    assert problems(world, *lines) == expected


def test_cells_with_control_characters_or_too_long_are_refused(world):
    found = problems(world, "code,name,description", "a,Bell\x07,", f"b,B,{'x' * (framework_csv.MAX_CELL_CHARS + 1)}")
    assert found == [
        "line 2, name: Contains control characters.",
        f"line 3, description: Longer than {framework_csv.MAX_CELL_CHARS} characters.",
    ]


def test_a_file_that_is_not_utf8_names_the_line_and_byte(world):
    data = "code,name\nok,Fine\ncafe,Caf\u00e9\n".encode("latin-1")
    assert [str(p) for p in preview(world, data).problems] == [
        "The file is not UTF-8 text: line 3 has a byte (0xE9) that UTF-8 does not allow. "
        "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
    ]
    utf16 = "code,name\nok,Fine\n".encode("utf-16")
    assert preview(world, utf16).problems[0].message == framework_csv.UTF16
    assert preview(world, b"code,name\nok,Fi\x00ne\n").problems[0].message == framework_csv.NUL_BYTE


def test_too_big_a_file_or_too_many_rows_is_refused_before_reading_rows(world, monkeypatch):
    big = b"code,name\n" + b"a,A\n" * (framework_csv.MAX_BYTES // 4)
    assert preview(world, big).problems[0].message == "The file is larger than 1000 KB: split it into several files."
    monkeypatch.setattr(framework_csv, "MAX_ROWS", 3)
    many = csv_bytes("code,name", *[f"s{i},S{i}" for i in range(4)])
    assert [str(p) for p in preview(world, many).problems] == [
        "The file has more than 3 skills: split it into several files."
    ]


def test_broken_csv_quoting_is_a_file_problem(world):
    found = problems(world, "code,name", 'a,"unterminated')
    assert found[0].startswith("The file cannot be read as CSV")


# --- all or nothing, and the other organisation ----------------------------------------------------------------


def test_nothing_is_imported_unless_the_whole_file_is_valid(world, scale):
    lines = [*GOOD, "broken,Broken,nowhere,,"]
    with pytest.raises(services.ImportRejected) as exc:
        apply(world, csv_bytes(*lines))
    assert exc.value.plan.problem_count == 1
    assert exc.value.messages == ["line 8, parent_code: No skill with code “nowhere” in the file or the framework."]
    assert not Skill.objects.exists()
    assert not AuditRecord.objects.filter(action="skills.imported").exists()


def test_the_import_is_refused_if_the_framework_changed_since_the_preview(world, scale):
    plan = preview(world, csv_bytes(*GOOD))
    add(world, "communication", "Communication skills")  # someone else adds a skill the file would create
    with pytest.raises(ValidationError) as exc:
        apply(world, csv_bytes(*GOOD), fingerprint=plan.fingerprint)
    assert exc.value.messages == [services.PLAN_CHANGED]
    assert Skill.objects.count() == 1


def test_an_import_never_reaches_another_organisations_skills(world, scale):
    spy = services.skill_create(organization=world.other_org, by=world.outsider.user, code="spy", name="Spy")
    assert problems(world, "code,name,parent_code", "mole,Mole,spy") == [
        "line 2, parent_code: No skill with code “spy” in the file or the framework."
    ]
    apply(world, csv_bytes("code,name", "spy,Our own spy skill"))
    spy.refresh_from_db()
    assert spy.name == "Spy"
    assert Skill.objects.get(organization=world.org, code="spy").name == "Our own spy skill"
    # Another organisation's scale names are not this organisation's.
    services.scale_create_default(organization=world.other_org, by=world.outsider.user)
    services.scale_create(
        organization=world.other_org,
        by=world.outsider.user,
        name="Secret",
        levels=[services.LevelInput("A"), services.LevelInput("B")],
    )
    assert problems(world, "code,name,scale", "x,X,Secret") == [
        "line 2, scale: No proficiency scale named “Secret”. Scales: 1–5."
    ]


def test_a_learner_cannot_preview_or_apply_an_import(world, scale):
    with pytest.raises(PermissionDenied):
        services.skills_import_preview(organization=world.org, by=world.learner.user, data=csv_bytes(*GOOD))
    with pytest.raises(PermissionDenied):
        services.skills_import_apply(organization=world.org, by=world.learner.user, data=csv_bytes(*GOOD))
    with pytest.raises(PermissionDenied):
        services.skills_import_apply(organization=world.org, by=world.outsider.user, data=csv_bytes(*GOOD))
    assert not Skill.objects.exists()


# --- export ----------------------------------------------------------------------------------------------------


def test_the_export_round_trips_and_escapes_formulas(world, scale):
    apply(world, csv_bytes(*GOOD))
    hostile = {
        "formula": '=HYPERLINK("http://evil.example","Click")',
        "plus": "+1 for teamwork",
        "minus": "-5 dB hearing",
        "at": "@SUM(A1:A2)",
        "quoted": "'=already quoted",
    }
    for code, name in hostile.items():
        add(world, code, name, description=name)
    text = selectors.framework_export(organization=world.org)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(framework_csv.COLUMNS)
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["formula"][1] == '\'=HYPERLINK("http://evil.example","Click")'
    assert by_code["plus"][1] == "'+1 for teamwork"
    assert by_code["minus"][3] == "'-5 dB hearing"
    assert by_code["at"][1] == "'@SUM(A1:A2)"
    assert by_code["quoted"][1] == "''=already quoted"
    assert by_code["hand-hygiene"][2:] == ["infection-control", "The five moments for hand hygiene.", "1–5"]
    # Every cell that could start a formula is escaped.
    for row in rows[1:]:
        assert not any(cell.startswith(framework_csv.FORMULA_STARTS) for cell in row)

    # Importing the export changes nothing; into another organisation it rebuilds the same framework.
    data = text.encode()
    assert preview(world, data).count(imports.UNCHANGED) == len(rows) - 1
    services.scale_create_default(organization=world.other_org, by=world.outsider.user)
    services.skills_import_apply(organization=world.other_org, by=world.outsider.user, data=data)
    assert selectors.framework_export(organization=world.other_org) == text
    assert Skill.objects.get(organization=world.other_org, code="quoted").name == "'=already quoted"


def test_the_export_leaves_deactivated_skills_out(world, scale):
    apply(world, csv_bytes(*GOOD))
    services.skill_deactivate(skill=Skill.objects.get(code="infection-control"), by=world.org_admin.user)
    codes = [row[0] for row in csv.reader(io.StringIO(selectors.framework_export(organization=world.org)))]
    assert codes == ["code", "patient-safety", "communication", "sbar"]


def test_a_child_of_a_row_with_a_problem_is_not_also_reported(world, scale):
    found = problems(world, HEADER, "parent,Parent,,,Stars", "child,Child,parent,,")
    assert found == ["line 2, scale: No proficiency scale named “Stars”. Scales: 1–5."]


def test_a_long_loop_is_reported_briefly(world):
    lines = ["code,name,parent_code"] + [f"s{i},S{i},s{(i - 1) % 50}" for i in range(50)]
    found = problems(world, *lines)
    assert len(found) == 50
    assert (
        found[0]
        == "line 2, parent_code: These skills would form a loop: s0 → s49 → s48 → s47 → s46 → … → s0 (50 skills)."
    )


def test_existing_and_new_skills_can_move_under_each_other_in_one_file(world, scale):
    apply(world, csv_bytes(*GOOD))
    # An existing branch moves under a new skill, and a new skill goes under the moved branch.
    apply(
        world,
        csv_bytes(
            "code,name,parent_code",
            "gloves,Gloves,hand-hygiene",
            "infection-control,Infection control,clinical",
            "clinical,Clinical practice,patient-safety",
        ),
    )
    for skill in Skill.objects.select_related("parent"):
        expected = (skill.parent.path if skill.parent else "/") + f"{skill.pk}/"
        assert skill.path == expected, skill.code
    chain = [s.code for s in selectors.skill_ancestors(skill=Skill.objects.get(code="gloves"))]
    assert chain == ["patient-safety", "clinical", "infection-control", "hand-hygiene"]
