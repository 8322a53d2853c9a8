"""The skills pages, for each persona and from the attacker's side, with constant query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.skills import forms, services
from syllabus.skills.models import ProficiencyScale, Skill
from tests.factories import CourseFactory
from tests.skills.conftest import add, csv_bytes

pytestmark = pytest.mark.django_db

FRAMEWORK = reverse("skills:framework")
CREATE = reverse("skills:create")
SCALES = reverse("skills:scales")
SCALE_CREATE = reverse("skills:scale-create")
IMPORT = reverse("skills:import")
EXPORT = reverse("skills:export")


def url(name: str, obj) -> str:
    return reverse(f"skills:{name}", args=[obj.pk])


@pytest.fixture
def as_person(client):
    def sign_in(membership):
        client.force_login(membership.user)
        return client

    return sign_in


def names_in_tree(nodes) -> list[str]:
    out = []
    for node in nodes:
        out.append(node.skill.name)
        out.extend(names_in_tree(node.children))
    return out


# --- reading ---------------------------------------------------------------------------------------------------


def test_a_learner_reads_the_active_framework_without_management_links(as_person, world, framework):
    services.skill_deactivate(skill=framework.leadership, by=world.org_admin.user)
    response = as_person(world.learner).get(FRAMEWORK)
    assert response.status_code == 200
    assert names_in_tree(response.context["tree"]) == ["Patient safety", "Infection control", "Hand hygiene"]
    html = response.content.decode()
    assert "Add a skill" not in html and "Import CSV" not in html and "Edit Hand hygiene" not in html
    assert "Export CSV" in html
    detail = as_person(world.learner).get(url("detail", framework.hygiene))
    assert detail.status_code == 200
    assert "Practitioner" in detail.content.decode()  # the scale's levels with their descriptors
    assert as_person(world.learner).get(url("detail", framework.coaching)).status_code == 404  # deactivated


def test_org_admin_sees_the_whole_tree_nested_with_scales_and_edit_links(as_person, world, framework):
    services.skill_deactivate(skill=framework.coaching, by=world.org_admin.user)
    response = as_person(world.org_admin).get(FRAMEWORK)
    tree = response.context["tree"]
    assert [node.skill.name for node in tree] == ["Leadership", "Patient safety"]
    assert [child.skill.name for child in tree[1].children] == ["Infection control"]
    html = response.content.decode()
    assert 'aria-label="Edit Hand hygiene"' in html
    assert "Deactivated" in html and "1–5" in html


def test_search_keeps_the_ancestors_of_what_matches(as_person, world, framework):
    response = as_person(world.learner).get(FRAMEWORK, {"q": "moments"})
    tree = response.context["tree"]
    assert names_in_tree(tree) == ["Patient safety", "Infection control", "Hand hygiene"]
    assert [tree[0].matched, tree[0].children[0].children[0].matched] == [False, True]
    assert as_person(world.learner).get(FRAMEWORK, {"q": "zzz"}).context["tree"] == []


def test_the_framework_page_query_count_does_not_grow_with_skills(as_person, world, framework):
    client = as_person(world.org_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(FRAMEWORK).status_code == 200
        return len(queries)

    few = count()
    for index in range(40):
        add(world, f"extra-{index}", f"Extra {index}", framework.coaching, scale=framework.scale)
    assert count() <= few
    detail_few = len(_queries(client, url("detail", framework.coaching)))
    assert detail_few <= few + 6


def _queries(client, path: str) -> list:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return list(queries)


# --- who may do what -----------------------------------------------------------------------------------------


def test_a_learner_is_refused_every_management_page(as_person, world, framework):
    client = as_person(world.learner)
    for path in (CREATE, url("edit", framework.hygiene), SCALE_CREATE, url("scale-edit", framework.scale), IMPORT):
        assert client.get(path).status_code == 403, path
    posts = (
        CREATE,
        url("edit", framework.hygiene),
        url("deactivate", framework.hygiene),
        url("reactivate", framework.hygiene),
        url("delete", framework.coaching),
        reverse("skills:scale-default"),
        url("scale-delete", framework.scale),
        IMPORT,
    )
    for path in posts:
        assert client.post(path, {"name": "Hacked", "code": "hacked"}).status_code == 403, path
    assert Skill.objects.filter(organization=world.org, is_active=True).count() == 5


def test_another_organisations_skills_and_scales_are_not_found(as_person, world, framework):
    client = as_person(world.outsider)
    for path in (url("detail", framework.hygiene), url("edit", framework.hygiene), url("scale-edit", framework.scale)):
        assert client.get(path).status_code == 404, path
    for path in (
        url("deactivate", framework.hygiene),
        url("delete", framework.coaching),
        url("scale-delete", framework.scale),
    ):
        assert client.post(path).status_code == 404, path
    assert client.get(FRAMEWORK).context["tree"] == []
    assert Skill.objects.filter(organization=world.org, is_active=True).count() == 5


def test_the_edit_form_cannot_offer_another_organisations_skill_as_parent(as_person, world, framework):
    spy = services.skill_create(organization=world.other_org, by=world.outsider.user, code="spy", name="Spy")
    response = as_person(world.org_admin).post(
        url("edit", framework.hygiene), {"name": "Hand hygiene", "code": "hand-hygiene", "parent": spy.pk}
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert Skill.objects.get(pk=framework.hygiene.pk).parent_id == framework.infection.pk


# --- managing skills -------------------------------------------------------------------------------------------


def test_org_admin_adds_a_sub_skill_from_a_skill_page(as_person, world, framework):
    client = as_person(world.org_admin)
    form_page = client.get(CREATE, {"parent": framework.infection.pk})
    assert form_page.context["form"].initial["parent"] == str(framework.infection.pk)
    assert form_page.context["form"].initial["scale"] == str(framework.scale.pk)  # the only scale
    response = client.post(
        CREATE,
        {"name": "Glove use", "code": "glove-use", "parent": framework.infection.pk, "scale": framework.scale.pk},
    )
    skill = Skill.objects.get(code="glove-use")
    assert response.status_code == 302 and response["Location"] == url("detail", skill)
    assert skill.path == f"{framework.infection.path}{skill.pk}/"


def test_the_form_shows_service_errors_on_their_fields(as_person, world, framework):
    response = as_person(world.org_admin).post(CREATE, {"name": "Again", "code": "coaching"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [services.CODE_TAKEN]}
    assert "Please correct the errors below." in response.content.decode()


def test_editing_moves_a_skill_and_the_form_does_not_offer_its_own_subtree(as_person, world, framework):
    client = as_person(world.org_admin)
    offered = [
        value for value, _label in client.get(url("edit", framework.safety)).context["form"].fields["parent"].choices
    ]
    assert str(framework.hygiene.pk) not in offered and str(framework.safety.pk) not in offered
    assert str(framework.coaching.pk) in offered
    response = client.post(
        url("edit", framework.infection),
        {"name": "Infection prevention", "code": "infection-control", "parent": framework.leadership.pk, "scale": ""},
    )
    assert response.status_code == 302
    infection = Skill.objects.get(pk=framework.infection.pk)
    assert (infection.name, infection.parent_id, infection.scale_id) == (
        "Infection prevention",
        framework.leadership.pk,
        None,
    )
    assert Skill.objects.get(pk=framework.hygiene.pk).path.startswith(framework.leadership.path)


def test_deactivate_reactivate_and_delete_buttons(as_person, world, framework):
    client = as_person(world.org_admin)
    client.post(url("deactivate", framework.leadership))
    assert not Skill.objects.get(pk=framework.coaching.pk).is_active
    page = client.get(url("detail", framework.coaching)).content.decode()
    assert "Its parent skill is deactivated" in page
    client.post(url("reactivate", framework.coaching))
    assert not Skill.objects.get(pk=framework.coaching.pk).is_active  # refused: the parent is still deactivated
    client.post(url("reactivate", framework.leadership))
    assert Skill.objects.get(pk=framework.leadership.pk).is_active

    CourseFactory(organization=world.org).skills.add(framework.coaching)
    response = client.post(url("delete", framework.coaching), follow=True)
    assert services.IN_USE.format(uses="1 course") in response.content.decode()
    assert Skill.objects.filter(pk=framework.coaching.pk).exists()
    response = client.post(url("delete", framework.hygiene))
    assert response["Location"] == FRAMEWORK
    assert not Skill.objects.filter(pk=framework.hygiene.pk).exists()


# --- scales ----------------------------------------------------------------------------------------------------


def test_the_framework_offers_the_default_scale_when_there_is_none(as_person, world):
    client = as_person(world.org_admin)
    assert "Create the 1–5 scale" in client.get(FRAMEWORK).content.decode()
    response = client.post(reverse("skills:scale-default"), {"next": "framework"})
    assert response["Location"] == FRAMEWORK
    assert list(ProficiencyScale.objects.get(organization=world.org).levels.values_list("name", flat=True)) == [
        "Awareness",
        "Working knowledge",
        "Practitioner",
        "Advanced",
        "Expert",
    ]
    assert "Create the 1–5 scale" not in client.get(FRAMEWORK).content.decode()


def level_data(*levels: tuple[str, str], rows: int = 5) -> dict[str, str]:
    data = {"levels-TOTAL_FORMS": str(rows), "levels-INITIAL_FORMS": "0"}
    for index in range(rows):
        name, descriptor = levels[index] if index < len(levels) else ("", "")
        data[f"levels-{index}-name"] = name
        data[f"levels-{index}-descriptor"] = descriptor
    return data


def test_org_admin_creates_and_edits_a_scale_with_level_rows(as_person, world):
    client = as_person(world.org_admin)
    page = client.get(SCALE_CREATE)
    assert len(page.context["formset"].forms) == 5
    assert "Level 1 name" in page.content.decode()
    response = client.post(
        SCALE_CREATE, {"name": "Competence", **level_data(("Supervised", "With a mentor."), ("", ""), ("Alone", ""))}
    )
    assert response.status_code == 302, response.context["form"].errors
    scale = ProficiencyScale.objects.get(name="Competence")
    assert list(scale.levels.values_list("value", "name")) == [(1, "Supervised"), (2, "Alone")]
    edit = client.get(url("scale-edit", scale))
    assert len(edit.context["formset"].forms) == 4  # two levels and two spare rows
    bad = client.post(url("scale-edit", scale), {"name": "Competence", **level_data(("Only", ""))})
    assert bad.status_code == 200
    assert services.LEVELS_TOO_FEW.format(minimum=2) in bad.content.decode()
    duplicate = client.post(url("scale-edit", scale), {"name": "Competence", **level_data(("A", ""), ("a", ""))})
    assert duplicate.context["formset"].forms[1].errors == {"name": [services.LEVEL_NAME_DUPLICATE]}


def test_a_scale_in_use_shows_no_delete_button_and_is_not_deleted(as_person, world, framework):
    client = as_person(world.org_admin)
    assert "Delete the scale 1–5" not in client.get(SCALES).content.decode()
    response = client.post(url("scale-delete", framework.scale), follow=True)
    assert "is used by 3 skills" in response.content.decode()
    assert ProficiencyScale.objects.filter(pk=framework.scale.pk).exists()


# --- import and export -----------------------------------------------------------------------------------------


GOOD = ("code,name,parent_code,scale", "gloves,Glove use,infection-control,1-5", "mentoring,Mentoring,leadership,")


def test_upload_preview_then_apply(as_person, world, framework):
    client = as_person(world.org_admin)
    upload = SimpleUploadedFile("skills.csv", csv_bytes(*GOOD), content_type="text/csv")
    preview = client.post(IMPORT, {"action": "preview", "file": upload})
    assert preview.status_code == 200
    assert preview.context["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    assert "2 to create, 0 to update, 0 unchanged" in preview.content.decode()
    assert not Skill.objects.filter(code="gloves").exists()
    apply_form = preview.context["apply_form"]
    response = client.post(
        IMPORT,
        {"action": "apply", "content": apply_form.initial["content"], "fingerprint": apply_form.initial["fingerprint"]},
    )
    assert response.status_code == 302 and response["Location"] == FRAMEWORK
    assert Skill.objects.get(code="gloves").parent_id == framework.infection.pk


def test_a_bad_file_shows_its_problems_by_line(as_person, world, framework):
    upload = SimpleUploadedFile(
        "skills.csv", csv_bytes("code,name,parent_code", "x,X,nowhere"), content_type="text/csv"
    )
    response = as_person(world.org_admin).post(IMPORT, {"action": "preview", "file": upload})
    html = response.content.decode()
    assert response.context["apply_form"] is None
    assert "The file has 1 problem: nothing was imported." in html
    assert "No skill with code “nowhere” in the file or the framework." in html


def test_apply_after_the_framework_changed_shows_the_new_preview(as_person, world, framework):
    client = as_person(world.org_admin)
    content = forms.ImportApplyForm.encode(csv_bytes(*GOOD))
    fingerprint = services.skills_import_preview(
        organization=world.org, by=world.org_admin.user, data=csv_bytes(*GOOD)
    ).fingerprint
    add(world, "gloves", "Gloves (added meanwhile)")
    response = client.post(IMPORT, {"action": "apply", "content": content, "fingerprint": fingerprint})
    assert response.status_code == 200
    assert response.context["notice"] == services.PLAN_CHANGED
    assert response.context["counts"] == {"create": 1, "update": 1, "unchanged": 0}
    assert Skill.objects.get(code="gloves").name == "Gloves (added meanwhile)"


def test_a_tampered_apply_is_checked_again_like_any_upload(as_person, world, framework):
    client = as_person(world.org_admin)
    response = client.post(IMPORT, {"action": "apply", "content": "%%% not base64", "fingerprint": "x"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    hostile = forms.ImportApplyForm.encode(csv_bytes("code,name,parent_code", "loop-a,A,loop-b", "loop-b,B,loop-a"))
    response = client.post(IMPORT, {"action": "apply", "content": hostile, "fingerprint": ""})
    assert response.status_code == 200 and not response.context["plan"].valid
    assert not Skill.objects.filter(code__startswith="loop").exists()


def test_the_export_downloads_the_framework(as_person, world, framework):
    response = as_person(world.learner).get(EXPORT)
    assert response["Content-Disposition"] == 'attachment; filename="skills-acme.csv"'
    assert response.content.decode().splitlines()[0] == "code,name,parent_code,description,scale"
