"""/api/v1/skills/ and /api/v1/proficiency-scales/: CRUD, import and export — and the attacker's side."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from syllabus.skills import framework_csv, services
from syllabus.skills.models import ProficiencyScale, Skill
from tests.api.conftest import V1, error_fields
from tests.factories import MembershipFactory
from tests.skills.conftest import add, csv_bytes

pytestmark = pytest.mark.django_db

SKILLS = f"{V1}/skills/"
SCALES = f"{V1}/proficiency-scales/"
IMPORT = f"{V1}/skills/import/"
EXPORT = f"{V1}/skills/export.csv"


def one(skill) -> str:
    return f"{SKILLS}{skill.pk}/"


def upload(*lines: str, name: str = "skills.csv", bom: bool = False) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(*lines, bom=bom), content_type="text/csv")


# --- reading ---------------------------------------------------------------------------------------------------


def test_any_member_reads_the_framework_in_tree_order(world, framework, as_member):
    response = as_member(world.learner).get(SKILLS)
    assert response.status_code == 200
    body = response.json()
    codes = [row["code"] for row in body["results"]]
    # Tree order: every skill right after its parent's subtree starts (siblings follow their ids as text, so
    # which top-level branch comes first depends on the ids the database handed out).
    assert sorted(codes) == sorted(["patient-safety", "infection-control", "hand-hygiene", "leadership", "coaching"])
    safety = codes.index("patient-safety")
    assert codes[safety : safety + 3] == ["patient-safety", "infection-control", "hand-hygiene"]
    assert codes[codes.index("leadership") + 1] == "coaching"
    hygiene = body["results"][codes.index("hand-hygiene")]
    assert hygiene["parent"] == framework.infection.pk
    assert hygiene["path"] == framework.hygiene.path
    assert hygiene["depth"] == 2
    assert hygiene["scale"] == {"id": framework.scale.pk, "name": "1–5"}


def test_skills_filter_by_parent_subtree_words_and_state(world, framework, as_member):
    client = as_member(world.learner)

    def codes(**params) -> list[str]:
        response = client.get(SKILLS, params)
        assert response.status_code == 200, response.json()
        return [row["code"] for row in response.json()["results"]]

    assert codes(parent=framework.safety.pk) == ["infection-control"]
    assert codes(subtree_of=framework.safety.pk) == ["patient-safety", "infection-control", "hand-hygiene"]
    assert codes(q="moments") == ["hand-hygiene"]
    services.skill_deactivate(skill=framework.leadership, by=world.org_admin.user)
    assert codes(active="false") == ["leadership", "coaching"]
    assert "coaching" not in codes(active="true")


def test_filtering_by_another_organisations_skill_is_refused(world, framework, as_member):
    spy = services.skill_create(organization=world.other_org, by=world.outsider.user, code="spy", name="Spy")
    response = as_member(world.org_admin).get(SKILLS, {"parent": spy.pk})
    assert response.status_code == 400
    assert error_fields(response) == {"parent": services.NO_SUCH_SKILL}


def test_list_query_counts_do_not_grow_with_rows(world, framework, as_member):
    client = as_member(world.org_admin)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.get(SKILLS)  # the token's first use records `last_used_at`
    few_skills, few_scales = count(SKILLS), count(SCALES)
    scale = services.scale_create(
        organization=world.org,
        by=world.org_admin.user,
        name="Other",
        levels=[services.LevelInput("Low"), services.LevelInput("High")],
    )
    for index in range(30):
        add(world, f"extra-{index}", f"Extra {index}", framework.coaching, scale=scale)
    assert count(SKILLS) <= few_skills
    assert count(SCALES) <= few_scales
    assert few_skills <= 8 and few_scales <= 8


# --- writing ---------------------------------------------------------------------------------------------------


def test_org_admin_creates_changes_moves_deactivates_and_deletes_a_skill(world, framework, as_member):
    client = as_member(world.org_admin)
    created = client.post(
        SKILLS,
        {"code": "Gloves", "name": "Glove use", "parent": framework.infection.pk, "scale": framework.scale.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["code"] == "gloves"
    assert body["path"] == f"{framework.infection.path}{body['id']}/"
    url = f"{SKILLS}{body['id']}/"

    moved = client.patch(url, {"name": "Gloves and gowns", "parent": framework.leadership.pk}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["name"] == "Gloves and gowns"
    assert moved.json()["path"] == f"{framework.leadership.path}{body['id']}/"

    to_top = client.patch(url, {"parent": None, "scale": None}, format="json")
    assert (to_top.json()["depth"], to_top.json()["scale"]) == (0, None)

    retired = client.patch(url, {"is_active": False}, format="json")
    assert retired.json()["is_active"] is False
    assert client.patch(url, {"is_active": True}, format="json").json()["is_active"] is True

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_a_patch_applies_all_its_changes_or_none(world, framework, as_member):
    response = as_member(world.org_admin).patch(
        one(framework.safety), {"name": "Renamed", "parent": framework.hygiene.pk}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"parent": services.PARENT_CYCLE}
    assert Skill.objects.get(pk=framework.safety.pk).name == "Patient safety"


def test_errors_use_the_one_error_format(world, framework, as_member):
    client = as_member(world.org_admin)
    taken = client.post(SKILLS, {"code": "coaching", "name": "Again"}, format="json")
    assert taken.status_code == 400
    assert error_fields(taken) == {"code": services.CODE_TAKEN}
    in_use = client.delete(one(framework.leadership))
    assert in_use.status_code == 400
    assert in_use.json()["error"]["message"] == services.HAS_CHILDREN.format(count=1)


def test_a_learner_cannot_write_and_changes_nothing(world, framework, as_member):
    client = as_member(world.learner)
    calls = [
        client.post(SKILLS, {"code": "rogue", "name": "Rogue"}, format="json"),
        client.patch(one(framework.hygiene), {"name": "Hacked"}, format="json"),
        client.delete(one(framework.coaching)),
        client.post(IMPORT, {"file": upload("code,name", "rogue,Rogue")}, format="multipart"),
        client.post(SCALES, {"name": "Rogue", "levels": [{"name": "A"}, {"name": "B"}]}, format="json"),
        client.patch(f"{SCALES}{framework.scale.pk}/", {"name": "Hacked"}, format="json"),
        client.delete(f"{SCALES}{framework.scale.pk}/"),
        client.post(f"{SCALES}default/"),
    ]
    assert [response.status_code for response in calls] == [403] * len(calls)
    assert Skill.objects.filter(organization=world.org).count() == 5
    assert Skill.objects.get(pk=framework.hygiene.pk).name == "Hand hygiene"
    assert ProficiencyScale.objects.get(pk=framework.scale.pk).name == "1–5"


def test_another_organisations_ids_are_not_found(world, framework, as_member):
    client = as_member(world.outsider)  # an org admin, of the other organisation
    assert client.get(one(framework.hygiene)).status_code == 404
    assert client.patch(one(framework.hygiene), {"name": "Hacked"}, format="json").status_code == 404
    assert client.delete(one(framework.coaching)).status_code == 404
    assert client.get(f"{SCALES}{framework.scale.pk}/").status_code == 404
    assert client.delete(f"{SCALES}{framework.scale.pk}/").status_code == 404
    assert client.get(SKILLS).json()["count"] == 0
    # Naming this organisation's skill as a parent in their own framework "does not exist".
    response = client.post(SKILLS, {"code": "x", "name": "X", "parent": framework.safety.pk}, format="json")
    assert response.status_code == 400 and "parent" in error_fields(response)
    assert Skill.objects.get(pk=framework.hygiene.pk).name == "Hand hygiene"


# --- import and export -----------------------------------------------------------------------------------------


def test_a_dry_run_answers_the_plan_and_changes_nothing(world, framework, as_member):
    client = as_member(world.org_admin)
    response = client.post(
        IMPORT,
        {
            "file": upload("code,name,parent_code", "gloves,Glove use,infection-control", "coaching,Coaching 1:1,"),
            "dry_run": "true",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["dry_run"], body["applied"], body["created"], body["updated"]) == (True, False, 1, 1)
    assert body["rows"][1] == {
        "line": 3,
        "code": "coaching",
        "name": "Coaching 1:1",
        "parent_code": "",
        "scale": None,
        "action": "update",
        "changes": ["name", "parent_code"],
    }
    assert not Skill.objects.filter(code="gloves").exists()

    applied = client.post(
        IMPORT,
        {
            "file": upload("code,name,parent_code", "gloves,Glove use,infection-control", "coaching,Coaching 1:1,"),
            "fingerprint": body["fingerprint"],
        },
        format="multipart",
    )
    assert applied.status_code == 200, applied.json()
    assert applied.json()["applied"] is True
    assert Skill.objects.get(code="gloves").parent_id == framework.infection.pk
    assert Skill.objects.get(code="coaching").parent_id is None


def test_import_problems_name_their_line_and_column_and_nothing_changes(world, framework, as_member):
    response = as_member(world.org_admin).post(
        IMPORT,
        {"file": upload("code,name,parent_code", "a,A,", "b,B,a", "c,C,abc", "a,Again,")},
        format="multipart",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["error_count"] == 2
    assert error["errors"] == [
        {
            "field": "parent_code",
            "line": 4,
            "message": "line 4, parent_code: No skill with code “abc” in the file or the framework.",
            "code": "invalid",
        },
        {"field": "code", "line": 5, "message": "line 5, code: The code “a” is already on line 2.", "code": "invalid"},
    ]
    assert not Skill.objects.filter(code__in=["a", "b", "c"]).exists()


def test_a_file_that_is_not_csv_text_is_refused_with_its_reason(world, as_member):
    client = as_member(world.org_admin)
    png = SimpleUploadedFile("skills.csv", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="text/csv")
    response = client.post(IMPORT, {"file": png, "dry_run": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["line"] == 0
    big = SimpleUploadedFile("big.csv", b"code,name\n" + b"a,A\n" * 300_000, content_type="text/csv")
    response = client.post(IMPORT, {"file": big}, format="multipart")
    assert response.status_code == 400
    assert "larger than" in response.json()["error"]["message"]


def test_the_export_is_csv_for_any_member_and_errors_stay_json(world, framework, as_member, client):
    response = as_member(world.learner).get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="skills-acme.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(framework_csv.COLUMNS)
    assert ["hand-hygiene", "Hand hygiene", "infection-control", "The five moments.", "1–5"] in rows
    anonymous = client.get(EXPORT, HTTP_ACCEPT="text/csv")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["error"]["status"] == anonymous.status_code


# --- scales ----------------------------------------------------------------------------------------------------


def test_scales_crud_with_levels(world, as_member):
    client = as_member(world.org_admin)
    default = client.post(f"{SCALES}default/")
    assert default.status_code == 201
    assert default.json()["levels"][0]["name"] == "Awareness"
    assert client.post(f"{SCALES}default/").status_code == 400  # once only

    created = client.post(
        SCALES,
        {
            "name": "Competence",
            "levels": [{"name": "Supervised", "descriptor": "Needs supervision."}, {"name": "Alone"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["levels"] == [
        {"value": 1, "name": "Supervised", "descriptor": "Needs supervision."},
        {"value": 2, "name": "Alone", "descriptor": ""},
    ]
    url = f"{SCALES}{created.json()['id']}/"
    changed = client.patch(
        url, {"levels": [{"name": "Supervised"}, {"name": "Alone"}, {"name": "Assessor"}]}, format="json"
    )
    assert [level["value"] for level in changed.json()["levels"]] == [1, 2, 3]
    bad = client.patch(url, {"levels": [{"name": "One"}, {"name": "one"}]}, format="json")
    assert bad.status_code == 400
    assert error_fields(bad) == {"levels[1].name": services.LEVEL_NAME_DUPLICATE}
    assert client.get(SCALES).json()["count"] == 2
    assert client.delete(url).status_code == 204


def test_a_scale_in_use_is_not_deleted(world, framework, as_member):
    response = as_member(world.org_admin).delete(f"{SCALES}{framework.scale.pk}/")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("The scale “1–5” is used by 3 skills")


SKILL_PATHS = [SKILLS, IMPORT, EXPORT, f"{SKILLS}1/", SCALES, f"{SCALES}default/", f"{SCALES}1/"]


def test_every_skills_endpoint_refuses_anonymous_callers_and_callers_without_an_organisation(world):
    anonymous = APIClient()
    person = world.org_admin.user
    MembershipFactory(organization=world.other_org, user=person)  # two organisations, none chosen
    undecided = APIClient()
    undecided.force_login(person)
    for path in SKILL_PATHS:
        for client, expected in ((anonymous, 401), (undecided, 403)):
            response = client.get(path, HTTP_ACCEPT="text/csv" if path == EXPORT else "application/json")
            if response.status_code == 405:
                response = client.post(path)
            assert response.status_code == expected, path
            assert response.json()["error"]["status"] == expected, path
            if expected == 403:
                assert response.json()["error"]["code"] == "no_organization", path
