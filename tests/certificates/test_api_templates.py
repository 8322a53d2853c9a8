"""/api/v1/certificates/templates/: list, create, get, change, delete and preview as PDF; the same refusals as the
pages (named fields and lines); `certificate.manage` only (403), another organisation's id 404; constant queries."""

from __future__ import annotations

import pytest

from syllabus.audit.models import AuditRecord
from syllabus.certificates import rendering
from syllabus.certificates.models import Award, Template
from syllabus.certificates.placeholders import UNKNOWN_PLACEHOLDER
from syllabus.certificates.services import templates as services
from tests.api.conftest import error_fields
from tests.compliance.conftest import make_course
from tests.conftest import World

pytestmark = pytest.mark.django_db

BASE = "/api/v1/certificates/templates/"
NEW = {
    "name": "Gold",
    "html": "<h1>{{ title }}</h1>\n<p>{{ learner_name }}</p>{{ signatories }}",
    "css": "h1 { color: #8a6d1d; }",
    "page_size": "a4_portrait",
    "signatories": [{"name": "Ada Byron", "title": "Head of Safety"}],
}


def test_an_officer_creates_lists_gets_and_changes_a_template(world: World, officer, as_member) -> None:  # type: ignore[no-untyped-def]
    client = as_member(officer)
    created = client.post(BASE, NEW, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["name"], body["page_size"], body["revision"], body["award_count"]) == ("Gold", "a4_portrait", 1, 0)
    assert body["signatories"] == [{"name": "Ada Byron", "title": "Head of Safety"}]
    assert body["preview_pdf_url"].endswith(f"{BASE}{body['id']}/preview/")

    listing = client.get(BASE).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]
    assert client.get(f"{BASE}{body['id']}/").json()["html"] == NEW["html"]

    changed = client.patch(f"{BASE}{body['id']}/", {"css": "h1 { color: black; }", "is_default": True}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["revision"], changed.json()["is_default"], changed.json()["name"]) == (2, True, "Gold")

    archived = client.patch(f"{BASE}{body['id']}/", {"archived": True}, format="json").json()
    assert archived["archived"] and not archived["is_default"]
    assert client.get(BASE, {"archived": "false"}).json()["count"] == 0
    restored = client.patch(f"{BASE}{body['id']}/", {"archived": False, "name": "Gold 2"}, format="json").json()
    assert (restored["archived"], restored["name"]) == (False, "Gold 2")
    actions = list(
        AuditRecord.objects.filter(action__startswith="certificate.template").values_list("action", flat=True)
    )
    # Created; changed (CSS), made default, archived, restored, renamed.
    assert sorted(actions) == sorted(
        ["certificate.template_created", "certificate.template_archived"] + ["certificate.template_changed"] * 4
    )


def test_refusals_name_their_field_and_line_and_save_nothing(world: World, officer, as_member) -> None:  # type: ignore[no-untyped-def]
    client = as_member(officer)
    response = client.post(
        BASE,
        {
            **NEW,
            "html": "<p>ok</p>\n<p>{{ learner_name.__class__ }}</p>",
            "css": "\nb { background: url(http://x.test/a) }",
        },
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "html": UNKNOWN_PLACEHOLDER.format(line=2, found="{{ learner_name.__class__ }}"),
        "css": rendering.CSS_URL.format(line=2),
    }
    too_many = client.post(BASE, {**NEW, "signatories": [{"name": f"P{n}"} for n in range(5)]}, format="json")
    assert error_fields(too_many) == {"signatories": services.TOO_MANY_SIGNATORIES}
    not_object = client.post(BASE, ["name", "Gold"], format="json")
    assert not_object.status_code == 400
    assert not Template.objects.exists()


def test_a_refused_change_changes_nothing_even_the_flags(world: World, officer, template: Template, as_member) -> None:  # type: ignore[no-untyped-def]
    template.archived, template.is_default = True, False
    template.save()
    response = as_member(officer).patch(
        f"{BASE}{template.pk}/", {"archived": False, "html": "{{ nope }}"}, format="json"
    )
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.archived and template.revision == 1


def test_a_template_in_use_is_not_deleted_a_spare_one_is(world: World, officer, award: Award, as_member) -> None:  # type: ignore[no-untyped-def]
    client = as_member(officer)
    refused = client.delete(f"{BASE}{award.template_id}/")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == services.TEMPLATE_IN_USE.format(count=1)
    spare = services.template_create(organization=world.org, by=None, data={"name": "Spare", "html": "<p>x</p>"})
    assert client.delete(f"{BASE}{spare.pk}/").status_code == 204
    assert not Template.objects.filter(pk=spare.pk).exists()


def test_preview_draws_the_saved_template_or_the_changes_sent_as_a_pdf(
    world: World, officer, template: Template, as_member
) -> None:  # type: ignore[no-untyped-def]
    client = as_member(officer)
    saved = client.get(f"{BASE}{template.pk}/preview/")
    assert saved.status_code == 200 and saved["Content-Type"] == "application/pdf"
    assert saved.content.startswith(b"%PDF")
    accepted = client.get(f"{BASE}{template.pk}/preview/", HTTP_ACCEPT="application/pdf")
    assert accepted.status_code == 200

    tried = client.post(f"{BASE}{template.pk}/preview/", {"html": "<p>{{ qr_code }}</p>"}, format="json")
    assert tried.status_code == 200 and tried.content.startswith(b"%PDF")
    refused = client.post(f"{BASE}{template.pk}/preview/", {"css": "@import 'x';"}, format="json")
    assert refused.status_code == 400 and error_fields(refused) == {"css": rendering.CSS_IMPORT.format(line=1)}
    template.refresh_from_db()
    assert template.revision == 1 and "qr_code" not in template.html  # nothing saved


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_without_certificate_manage_are_forbidden(
    world: World, template: Template, as_member, persona: str
) -> None:  # type: ignore[no-untyped-def]
    client = as_member(getattr(world, persona))
    responses = [
        client.get(BASE),
        client.post(BASE, NEW, format="json"),
        client.get(f"{BASE}{template.pk}/"),
        client.patch(f"{BASE}{template.pk}/", {"html": "<p>pwned</p>"}, format="json"),
        client.delete(f"{BASE}{template.pk}/"),
        client.get(f"{BASE}{template.pk}/preview/"),
        client.post(f"{BASE}{template.pk}/preview/", {}, format="json"),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    template.refresh_from_db()
    assert template.html != "<p>pwned</p>" and Template.objects.count() == 1


def test_another_organisations_template_is_not_found(world: World, template: Template, as_member) -> None:  # type: ignore[no-untyped-def]
    client = as_member(world.outsider)  # Globex's org admin
    responses = [
        client.get(f"{BASE}{template.pk}/"),
        client.patch(f"{BASE}{template.pk}/", {"name": "Mine"}, format="json"),
        client.delete(f"{BASE}{template.pk}/"),
        client.get(f"{BASE}{template.pk}/preview/"),
        client.post(f"{BASE}{template.pk}/preview/", {}, format="json"),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert client.get(BASE).json()["count"] == 0
    assert Template.objects.get(pk=template.pk).name == "Classic"


def test_anonymous_callers_are_refused(client, template: Template) -> None:  # type: ignore[no-untyped-def]
    assert client.get(BASE).status_code in (401, 403)


@pytest.mark.parametrize("size", [1, 15])
def test_the_list_costs_the_same_queries_whatever_its_length(
    world: World, officer, as_member, django_assert_max_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    for number in range(size):
        template = services.template_create(
            organization=world.org, by=None, data={"name": f"T{number}", "html": "<p>{{ title }}</p>"}
        )
        Award.objects.create(
            organization=world.org, source="course", course=make_course(world, f"C{number}"), template=template
        )
    client = as_member(officer)
    with django_assert_max_num_queries(12):
        response = client.get(BASE)
    assert response.status_code == 200 and response.json()["count"] == size
    assert {row["award_count"] for row in response.json()["results"]} == {1}
