"""The template pages: the list, the editor with its errors per field and line, the live preview (its own strict
CSP, sanitised, hostile input shown as text), the PDF preview, the actions, permissions from the attacker's side
(a learner: 403; another organisation: 404) and a constant number of queries on the list."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.certificates import default_templates, rendering
from syllabus.certificates.models import Award, Template
from syllabus.certificates.placeholders import UNKNOWN_PLACEHOLDER
from syllabus.certificates.services import templates as services
from tests.compliance.conftest import make_course
from tests.conftest import World

pytestmark = pytest.mark.django_db

SignIn = Callable[[Membership], Client]


@pytest.fixture
def as_person(client: Client) -> SignIn:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


def url(name: str, *args: int) -> str:
    return reverse(f"certificates:{name}", args=args)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def form_data(**overrides: str) -> dict[str, str]:
    out = {
        "name": "Gold",
        "description": "",
        "page_size": "a4_landscape",
        "html": "<h1>{{ title }}</h1>\n<p>{{ learner_name }}</p>",
        "css": "h1 { color: #123456; }",
        "signatory_1_name": "Ada Byron",
        "signatory_1_title": "Head of Safety",
    }
    out.update(overrides)
    return out


def csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in policy.split("; ")}


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_template_with_its_page_size_default_flag_and_awards(
    world: World, officer, template: Template, award: Award, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    services.template_create(organization=world.org, by=None, data={"name": "Spare", "html": "<p>{{ title }}</p>"})
    response = as_person(officer).get(url("templates"))
    assert response.status_code == 200
    page = text(response)
    assert page.count("<h1") == 1
    assert "Classic" in page and "Spare" in page and "A4, landscape" in page
    assert "Default" in page and "1 award" in page and "0 awards" in page
    # A template in use has no Delete button; the spare one has.
    assert url("template-delete", template.pk) not in page
    assert url("template-delete", Template.objects.get(name="Spare").pk) in page


def test_an_empty_list_offers_the_ready_made_designs(world: World, officer, as_person: SignIn) -> None:  # type: ignore[no-untyped-def]
    client = as_person(officer)
    assert "Add the ready-made designs" in text(client.get(url("templates")))
    response = client.post(url("template-add-defaults"))
    assert response.status_code == 302
    assert set(Template.objects.values_list("name", flat=True)) == {"Classic", "Modern"}
    assert "Added the ready-made designs: Classic, Modern." in text(client.get(url("templates")))


@pytest.mark.parametrize("size", [1, 12])
def test_the_list_costs_the_same_queries_whatever_its_length(
    world: World, officer, as_person: SignIn, django_assert_max_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    for number in range(size):
        template = services.template_create(
            organization=world.org, by=None, data={"name": f"T{number}", "html": "<p>{{ title }}</p>"}
        )
        course = make_course(world, f"Course {number}")
        Award.objects.create(organization=world.org, source="course", course=course, template=template)
    client = as_person(officer)
    client.get(url("templates"))  # session, menu and caches warmed
    with django_assert_max_num_queries(13):
        response = client.get(url("templates"))
    assert response.status_code == 200 and len(response.context["rows"]) == size


# --- the editor -----------------------------------------------------------------------------------------------------


def test_a_new_template_starts_from_the_classic_design_with_a_live_preview_frame(
    world: World, officer, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    response = as_person(officer).get(url("template-create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["form"].initial["html"] == default_templates.builtin_fields().html
    frame = re.search(r"<iframe[^>]*>", page).group(0)  # type: ignore[union-attr]
    assert re.search(r"\ssandbox(\s|>)", frame) and 'title="' in frame and 'name="template-preview"' in frame
    assert f'src="{url("template-preview")}"' in frame
    assert 'formtarget="template-preview"' in page and "template-editor.js" in page
    for name in ("learner_name", "qr_code", "valid_until_sentence"):
        assert "{{ " + name + " }}" in page
    # The editor page keeps the site's strict policy: the frame has its own.
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_editor_shows_each_error_on_its_field_with_its_line_and_saves_nothing(
    world: World, officer, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    client = as_person(officer)
    response = client.post(
        url("template-create"),
        form_data(
            name="",
            html="<h1>{{ title }}</h1>\n\n<p>{{ user.password }}</p>",
            css="@import 'x.css';",
            signatory_2_title="CEO",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == ["This field is required."]
    assert errors["html"] == [UNKNOWN_PLACEHOLDER.format(line=3, found="{{ user.password }}")]
    assert errors["css"] == [rendering.CSS_IMPORT.format(line=1)]
    assert errors["signatory_2_name"] == [services.SIGNATORY_NAME_REQUIRED.format(number=2)]
    page = text(response)
    assert "Please correct the errors below." in page and 'href="#id_html"' in page
    assert "Line 3: {{ user.password }} is not a placeholder." in page
    assert "data-preview-on-load" in page
    assert not Template.objects.exists()


def test_an_officer_creates_then_edits_a_template(world: World, officer, as_person: SignIn) -> None:  # type: ignore[no-untyped-def]
    client = as_person(officer)
    response = client.post(url("template-create"), form_data())
    template = Template.objects.get()
    assert response.status_code == 302 and response["Location"] == url("template-edit", template.pk)
    assert template.signatories == [{"name": "Ada Byron", "title": "Head of Safety"}]

    form = client.get(url("template-edit", template.pk))
    assert form.status_code == 200
    assert form.context["form"].initial["signatory_1_name"] == "Ada Byron"
    assert f"?template={template.pk}" in form.content.decode()
    assert url("template-preview-pdf", template.pk) in form.content.decode()

    response = client.post(
        url("template-edit", template.pk), form_data(css="h1 { color: black; }", signatory_1_name="")
    )
    # A title without a name is refused on its row.
    assert response.status_code == 200 and "signatory_1_name" in response.context["form"].errors
    response = client.post(url("template-edit", template.pk), form_data(css="h1 { color: black; }"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.css, template.revision) == ("h1 { color: black; }", 2)


# --- the live preview -----------------------------------------------------------------------------------------------


def test_the_preview_is_a_sanitised_document_with_its_own_strict_policy(
    world: World, officer, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    hostile = (
        '<h1 onclick="alert(1)">{{ title }}</h1><script>alert(2)</script>'
        '<iframe src="https://evil.test"></iframe><a href="javascript:alert(3)">x</a>'
        '<img src="https://evil.test/t.png"><p class="who">{{ learner_name }}</p>{{ signatories }}'
    )
    response = as_person(officer).post(
        url("template-preview"), form_data(html=hostile, signatory_1_name="<b>Ada</b>", name="")
    )
    assert response.status_code == 200
    page = response.content.decode()
    body = page[page.index("<body") :]
    for word in ("<script", "onclick", "<iframe", "javascript:", "evil.test", "<b>Ada"):
        assert word not in body
    assert "Zoë Łukasiewicz-Nakamura 中村" in body and "&lt;b&gt;Ada&lt;/b&gt;" in body
    assert "h1 { color: #123456; }" in page  # the author's CSS is drawn
    policy = csp(response)
    assert policy["default-src"] == "'none'" and policy["style-src"] == "'unsafe-inline'"
    assert policy["img-src"] == "data:" and policy["frame-ancestors"] == "'self'"
    assert "script-src" not in policy  # default-src 'none': no script at all
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Cache-Control"] == "no-store"


def test_the_preview_lists_the_problems_and_leaves_out_css_that_would_fetch(
    world: World, officer, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    response = as_person(officer).post(
        url("template-preview"),
        form_data(html="<p>{{ title }}</p>\n{{ nope }}", css="p { color: red }\n@import url(https://evil.test/x.css);"),
    )
    page = text(response)
    assert 'id="preview-problems" role="alert"' in page
    assert "Line 2: {{ nope }} is not a placeholder." in page and "Line 2: @import is not allowed." in page
    assert "evil.test" not in page and "color: red" not in page


def test_the_preview_draws_a_saved_template_or_the_starting_design(
    world: World, officer, template: Template, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    client = as_person(officer)
    saved = client.get(url("template-preview"), {"template": template.pk})
    assert saved.status_code == 200 and "color: #123456" in saved.content.decode()
    start = client.get(url("template-preview"))
    assert start.status_code == 200 and "Certificate of completion" in start.content.decode()
    assert client.get(url("template-preview"), {"template": "1 OR 1=1"}).status_code == 404


def test_the_preview_zooms_the_page_to_the_frame(world: World, officer, as_person: SignIn) -> None:  # type: ignore[no-untyped-def]
    page = as_person(officer).post(url("template-preview"), form_data()).content.decode()
    assert "body { zoom: 0.25; }" in page and "@media (min-width: 1155px) { body { zoom: 1.0; } }" in page


def test_the_saved_template_previews_as_a_pdf(world: World, officer, template: Template, as_person: SignIn) -> None:  # type: ignore[no-untyped-def]
    response = as_person(officer).get(url("template-preview-pdf", template.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="template-classic-preview.pdf"' in response["Content-Disposition"]


# --- actions --------------------------------------------------------------------------------------------------------


def test_the_actions_make_default_archive_restore_and_delete(
    world: World, officer, template: Template, award: Award, as_person: SignIn
) -> None:  # type: ignore[no-untyped-def]
    client = as_person(officer)
    spare = services.template_create(organization=world.org, by=None, data={"name": "Spare", "html": "<p>x</p>"})

    assert client.post(url("template-default", spare.pk)).status_code == 302
    assert Template.objects.get(is_default=True) == spare
    client.post(url("template-archive", spare.pk))
    spare.refresh_from_db()
    assert spare.archived
    # An archived template is not edited: the editor sends back to the list.
    assert client.get(url("template-edit", spare.pk))["Location"] == url("templates")
    client.post(url("template-restore", spare.pk))
    spare.refresh_from_db()
    assert not spare.archived

    response = client.post(url("template-delete", template.pk), follow=True)
    assert services.TEMPLATE_IN_USE.format(count=1) in text(response)
    assert Template.objects.filter(pk=template.pk).exists()
    client.post(url("template-delete", spare.pk))
    assert not Template.objects.filter(pk=spare.pk).exists()
    assert client.get(url("template-default", template.pk)).status_code == 405


# --- permissions from the attacker's side ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_without_certificate_manage_are_forbidden_everywhere(
    world: World, template: Template, as_person: SignIn, persona: str
) -> None:
    client = as_person(getattr(world, persona))
    pk = template.pk
    for method, name, args in [
        ("get", "templates", ()),
        ("get", "template-create", ()),
        ("post", "template-create", ()),
        ("get", "template-edit", (pk,)),
        ("post", "template-edit", (pk,)),
        ("post", "template-preview", ()),
        ("get", "template-preview", ()),
        ("get", "template-preview-pdf", (pk,)),
        ("post", "template-default", (pk,)),
        ("post", "template-archive", (pk,)),
        ("post", "template-restore", (pk,)),
        ("post", "template-delete", (pk,)),
        ("post", "template-add-defaults", ()),
    ]:
        response = getattr(client, method)(
            url(name, *args), form_data(name="Mine", html="<p>pwned</p>") if method == "post" else None
        )
        assert response.status_code == 403, (name, response.status_code)
    template.refresh_from_db()
    assert template.html != "<p>pwned</p>" and Template.objects.count() == 1


def test_another_organisations_templates_are_not_found(world: World, template: Template, as_person: SignIn) -> None:
    client = as_person(world.outsider)  # an org admin, of Globex
    pk = template.pk
    for method, name in [
        ("get", "template-edit"),
        ("post", "template-edit"),
        ("get", "template-preview-pdf"),
        ("post", "template-default"),
        ("post", "template-archive"),
        ("post", "template-delete"),
    ]:
        response = getattr(client, method)(url(name, pk), form_data() if method == "post" else None)
        assert response.status_code == 404, (name, response.status_code)
    assert client.get(url("template-preview"), {"template": pk}).status_code == 404
    assert client.get(url("templates")).context["rows"] == []
    template.refresh_from_db()
    assert Template.objects.count() == 1 and not template.archived and template.revision == 1


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, template: Template) -> None:
    for name, args in [("templates", ()), ("template-preview", ()), ("template-preview-pdf", (template.pk,))]:
        response = client.get(url(name, *args))
        assert response.status_code == 302 and "sign-in" in response["Location"]
