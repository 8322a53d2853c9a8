"""The organisation's notification settings pages: types and mandatory flags, wording with its preview, the delivery
log. Written from the attacker's side too: other personas, other organisations, hostile wording."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.access.policy import principal_for
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, User
from syllabus.audit.models import AuditRecord
from syllabus.core import clock
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.forms_admin import BODY_MAX
from syllabus.notifications.models import Delivery, DeliveryStatus, Notification, OrganizationTypeSetting, Template
from syllabus.notifications.types import NotificationType
from syllabus.web.navigation import ADMIN, visible_items
from tests.conftest import World
from tests.factories import MembershipFactory, grant
from tests.notifications.conftest import LOCKABLE, MANDATORY, SAMPLE, declare_type

pytestmark = pytest.mark.django_db

TYPES = reverse("notifications:admin_types")
LOG = reverse("notifications:admin_log")
ACCOUNT = "tests.account"

SignIn = Callable[..., Client]


def wording_url(type_key: str = SAMPLE, language: str = "en") -> str:
    return reverse("notifications:admin_template", args=[type_key, language])


@pytest.fixture
def as_person(client: Client) -> SignIn:
    def sign_in(who: Membership | User, organization: Any = None) -> Client:
        client.force_login(who.user if isinstance(who, Membership) else who)
        if organization is not None:
            session = client.session
            session[SESSION_KEY] = organization.pk
            session.save()
        return client

    return sign_in


@pytest.fixture
def account_type() -> Iterator[NotificationType]:
    kind = declare_type(ACCOUNT, label="New sign-in (test)", category="Account security", account_level=True)
    yield kind
    registry.unregister(ACCOUNT)


@pytest.fixture
def every_type(
    sample_type: NotificationType,
    mandatory_type: NotificationType,
    lockable_type: NotificationType,
    account_type: NotificationType,
) -> None:
    """The four kinds of type the settings page tells apart."""


def row_html(response: Any, type_key: str) -> str:
    """The table row of one type on the types page."""
    match = re.search(rf'<tr id="type-{re.escape(type_key)}">(.*?)</tr>', response.content.decode(), re.S)
    assert match is not None, f"no row for {type_key}"
    return match.group(1)


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- who may look ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "report"])
@pytest.mark.parametrize("page", [TYPES, LOG, wording_url()])
def test_people_without_notification_manage_are_refused_every_page(
    as_person: SignIn, world: World, sample_type: NotificationType, persona: str, page: str
) -> None:
    client = as_person(getattr(world, persona))
    assert client.get(page).status_code == 403
    assert client.post(page, {"subject": "Hi", "body": "Hi", "type_key": SAMPLE, "mandatory": "true"}).status_code in (
        403,
        405,
    )
    assert not Template.objects.exists() and not OrganizationTypeSetting.objects.exists()


def test_a_learner_cannot_save_reset_or_preview_a_wording(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    Template.objects.create(organization=world.org, type_key=SAMPLE, language="en", subject="Ours", body="Ours")
    client = as_person(world.learner)
    assert client.post(wording_url(), {"subject": "Pwned", "body": "Pwned"}).status_code == 403
    assert client.post(wording_url(), {"reset": "1"}).status_code == 403
    assert client.post(wording_url(), {"preview": "1", "subject": "x", "body": "x"}).status_code == 403
    assert Template.objects.get().subject == "Ours"


@pytest.mark.parametrize("page", [TYPES, LOG, wording_url()])
def test_an_outsider_cannot_act_in_another_organisation(
    as_person: SignIn, world: World, sample_type: NotificationType, page: str
) -> None:
    # Globex's admin with Acme's id slipped into the session: not a member of Acme, so asked to choose again.
    forced = as_person(world.outsider, world.org).get(page)
    assert forced.status_code == 302 and forced["Location"].startswith(reverse("accounts:choose-organization"))
    # A plain member of Globex holds no notification.manage there.
    plain = MembershipFactory(organization=world.other_org, user__display_name="Gina Globex")
    assert as_person(plain).get(page).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get(TYPES)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_a_person_holding_the_capability_only_over_an_org_unit_is_refused(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    grant(world.engineer, "org_admin", org_unit=world.engineering)
    assert as_person(world.engineer).get(TYPES).status_code == 403


def test_the_platform_admin_may_use_the_pages(as_person: SignIn, world: World, every_type: None) -> None:
    client = as_person(world.platform_admin, world.org)
    assert client.get(TYPES).status_code == 200
    assert client.get(LOG).status_code == 200
    assert client.get(wording_url()).status_code == 200


def test_the_navigation_offers_the_settings_to_org_admins_only(world: World) -> None:
    def labels(membership: Membership) -> list[str]:
        return [str(item.label) for item in visible_items(ADMIN, principal_for(membership.user, world.org))]

    assert "Notification settings" in labels(world.org_admin)
    assert "Notification settings" not in labels(world.learner)
    assert "Notification settings" not in labels(world.manager)


# --- the types ------------------------------------------------------------------------------------------------


def test_the_types_page_groups_types_and_tells_how_each_may_be_changed(
    as_person: SignIn, world: World, every_type: None
) -> None:
    response = as_person(world.org_admin).get(TYPES)
    assert response.status_code == 200
    groups = {group.name: {row.kind.key: row for row in group.rows} for group in response.context["groups"]}
    assert set(groups["Tests"]) >= {SAMPLE, MANDATORY, LOCKABLE} and ACCOUNT in groups["Account security"]
    tests = groups["Tests"]
    assert tests[MANDATORY].required_by_syllabus and not tests[MANDATORY].can_toggle
    assert tests[LOCKABLE].can_toggle and not tests[LOCKABLE].org_mandatory
    assert not tests[SAMPLE].can_toggle and tests[SAMPLE].channels == "In Syllabus, Email"
    assert [wording.words for wording in tests[SAMPLE].wordings] == ["Built-in wording"]
    assert groups["Account security"][ACCOUNT].wordings == []
    text = text_of(response)
    assert "Always sent: nobody can turn it off." in text
    assert "Worded by Syllabus for account security: not customisable." in text
    # Only the type that allows it has the toggle.
    assert "Make mandatory for everyone" in row_html(response, LOCKABLE)
    assert "Make mandatory for everyone" not in row_html(response, SAMPLE) + row_html(response, MANDATORY)
    assert f'href="{wording_url()}"' in text and f'href="{wording_url(ACCOUNT)}"' not in text


def test_the_organisation_language_comes_first(as_person: SignIn, world: World, sample_type: NotificationType) -> None:
    world.org.default_language = "fr"
    world.org.save(update_fields=["default_language"])
    response = as_person(world.org_admin).get(TYPES)
    [row] = [row for group in response.context["groups"] for row in group.rows if row.kind.key == SAMPLE]
    assert [wording.language.code for wording in row.wordings] == ["fr", "en"]
    assert row.wordings[0].language.name == "French"
    assert as_person(world.org_admin).get(wording_url(language="fr")).status_code == 200


def test_an_org_admin_makes_a_type_mandatory_and_optional_again_audited(
    as_person: SignIn, world: World, lockable_type: NotificationType
) -> None:
    client = as_person(world.org_admin)
    response = client.post(TYPES, {"type_key": LOCKABLE, "mandatory": "true"}, follow=True)
    assert response.redirect_chain == [(TYPES, 302)]
    assert "is now mandatory" in text_of(response)
    [row] = [row for group in response.context["groups"] for row in group.rows if row.kind.key == LOCKABLE]
    assert row.org_mandatory
    # Once on, the row offers the other action under its own name, confirmed first; no toggle state to decode.
    html = row_html(response, LOCKABLE)
    assert "Let each person choose" in html and "Make mandatory for everyone" not in html
    assert 'name="mandatory" value="false"' in html and "data-confirm=" in html and "aria-pressed" not in html
    # Pressing "Make mandatory" again (a second tab, a double click) keeps it mandatory rather than unlocking it.
    client.post(TYPES, {"type_key": LOCKABLE, "mandatory": "true"})
    assert OrganizationTypeSetting.objects.get(organization=world.org, type_key=LOCKABLE).mandatory
    optional = client.post(TYPES, {"type_key": LOCKABLE, "mandatory": "false"}, follow=True)
    assert not OrganizationTypeSetting.objects.get(organization=world.org, type_key=LOCKABLE).mandatory
    html = row_html(optional, LOCKABLE)
    assert "Make mandatory for everyone" in html and "Let each person choose" not in html
    assert 'name="mandatory" value="true"' in html and "data-confirm=" not in html and "aria-pressed" not in html
    records = AuditRecord.objects.filter(action="notification.mandatory_changed", organization=world.org)
    assert records.count() == 2  # the repeated "make mandatory" changed nothing: not audited


def test_a_type_that_does_not_allow_it_cannot_be_made_mandatory(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(TYPES, {"type_key": SAMPLE, "mandatory": "true"})
    assert response.status_code == 400
    assert services.MANDATORY_NOT_ALLOWED in text_of(response)
    assert not OrganizationTypeSetting.objects.filter(mandatory=True).exists()
    assert not AuditRecord.objects.filter(action="notification.mandatory_changed").exists()


def test_an_unknown_type_cannot_be_made_mandatory(as_person: SignIn, world: World) -> None:
    response = as_person(world.org_admin).post(TYPES, {"type_key": "no.such.type", "mandatory": "true"})
    assert response.status_code == 400 and not OrganizationTypeSetting.objects.exists()


def test_mandatory_flags_of_another_organisation_are_not_shown(
    as_person: SignIn, world: World, lockable_type: NotificationType
) -> None:
    services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=world.org_admin.user)
    response = as_person(world.outsider).get(TYPES)
    [row] = [row for group in response.context["groups"] for row in group.rows if row.kind.key == LOCKABLE]
    assert not row.org_mandatory


# --- the wording ----------------------------------------------------------------------------------------------


def test_the_editor_starts_from_the_built_in_wording_and_lists_the_placeholders(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).get(wording_url())
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"subject": str(sample_type.subject), "body": str(sample_type.body)}
    assert [(row.token, row.label) for row in response.context["placeholders"]] == [
        ("{{ learner_name }}", "Learner"),
        ("{{ course_title }}", "Course"),
        ("{{ starts_at }}", "Starts at"),
    ]
    preview = response.context["preview"]
    assert str(preview.subject) == "Fire safety starts soon"
    assert [str(paragraph) for paragraph in preview.paragraphs] == [
        "Hello Lena Learner,",
        "Fire safety starts at 14 March 2026, 17:30.",
    ]
    text = str(preview.text)
    assert "Hello Lena Learner," in text and "Choose which notifications you get, and how:" in text
    # The email as the admin would get it, greeting and all; the button's address is an example, not a real page.
    assert text.startswith("Hello Olivia Admin,") and "Sent by Acme Health through" in text
    assert "Open in Syllabus: (the link to the notification)" in text
    page = text_of(response)
    assert "(an example: in the email, this button opens what the notification is about)" in page
    assert f'href="{reverse("notifications:centre")}"' not in page.split('id="preview"')[1]
    assert "Built-in wording" in text_of(response) and "Reset to built-in wording" not in text_of(response)


def test_the_preview_answers_with_the_draft_filled_in(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(
        wording_url(),
        {"preview": "1", "subject": "Soon: {{ course_title }}", "body": "Dear {{ learner_name }}\nsee you"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    names = {template.name for template in response.templates}
    assert "notifications/admin/_preview.html" in names and "notifications/admin/template.html" not in names
    html = response.content.decode()
    assert "Soon: Fire safety" in html and "Dear Lena Learner<br>see you" in html
    assert not Template.objects.exists()


def test_the_preview_without_javascript_is_the_whole_page(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(wording_url(), {"preview": "1", "subject": "Hey", "body": "There"})
    assert response.status_code == 200
    assert str(response.context["preview"].subject) == "Hey" and response.context["form"]["body"].value() == "There"
    assert not Template.objects.exists()


def test_the_preview_names_its_problems_in_a_polite_live_region_refreshed_by_htmx(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    client = as_person(world.org_admin)
    page = client.post(wording_url(), {"preview": "1", "subject": "Hi", "body": "Hi {{ nobody }}"})
    region = re.search(
        r'<div id="preview-problems"([^>]*)>(.*?)</div>\s*<div id="preview">', page.content.decode(), re.S
    )
    assert region is not None
    assert 'aria-live="polite"' in region.group(1) and "Unknown placeholder {{ nobody }}" in region.group(2)
    # The live preview brings its problems for admin.js to move into the region (only when they changed).
    fragment = client.post(
        wording_url(), {"preview": "1", "subject": "Hi", "body": "Hi {{ nobody }}"}, headers={"HX-Request": "true"}
    ).content.decode()
    next_problems = re.search(r"<template data-preview-problems-next>(.*?)</template>", fragment, re.S)
    assert next_problems is not None and "Unknown placeholder {{ nobody }}" in next_problems.group(1)
    clean = client.post(
        wording_url(), {"preview": "1", "subject": "Hi", "body": "Hi"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert re.search(r"<template data-preview-problems-next>\s*</template>", clean)


def test_an_unknown_placeholder_shows_in_the_preview_as_typed_and_marked(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(
        wording_url(),
        {"preview": "1", "subject": "{{ course_title }} for {{nobody}}", "body": "Hi {{ learner_name }}, {{ boss }}!"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'Fire safety for <mark class="preview-unknown">{{nobody}}</mark>' in html
    assert 'Hi Lena Learner, <mark class="preview-unknown">{{ boss }}</mark>!' in html
    preview = response.context["preview"]
    assert [part.text for part in preview.subject.parts if part.unknown] == ["{{nobody}}"]
    assert str(preview.paragraphs[0]) == "Hi Lena Learner, {{ boss }}!"
    assert "Hi Lena Learner, {{ boss }}!" in str(preview.text)


def test_an_unknown_placeholder_cannot_smuggle_markup_or_marks_into_the_preview(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    body = "<b>{{ nobody }}</b> \ue0000\ue001 {{ learner_name }}"
    response = as_person(world.org_admin).post(
        wording_url(), {"preview": "1", "subject": "Hi", "body": body}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    # The admin's own private-use characters are dropped: "0" cannot turn into another token's mark.
    assert '&lt;b&gt;<mark class="preview-unknown">{{ nobody }}</mark>&lt;/b&gt; 0 Lena Learner' in html
    assert "\ue000" not in html and "<b>" not in html


def test_a_failed_save_leads_with_an_error_summary_and_marks_the_fields_invalid(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(
        wording_url(), {"subject": "Hi {{ nobody }}", "body": "Hi {{ course|upper }}"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div class="[^"]*error-summary"([^>]*)>(.*?)</div>', html, re.S)
    assert summary is not None
    assert 'role="alert"' in summary.group(1) and 'tabindex="-1"' in summary.group(1)
    assert "data-error-summary" in summary.group(1)
    assert (
        'href="#id_subject" data-error-target="id_subject">Subject: Unknown placeholder {{ nobody }}'
        in summary.group(2)
    )
    assert "Message: “{{ course|upper }}” is not a placeholder" in summary.group(2)
    for name in ("subject", "body"):
        field = re.search(rf'<(?:input|textarea)[^>]*id="id_{name}"[^>]*>', html)
        assert field is not None
        assert 'aria-invalid="true"' in field.group(0)
        assert f'aria-describedby="id_{name}_helptext id_{name}_error"' in field.group(0)
    assert 'id="id_body_error"' in html
    # The page as first opened has no summary and no invalid field.
    fresh = as_person(world.org_admin).get(wording_url()).content.decode()
    assert "data-error-summary" not in fresh and "aria-invalid" not in fresh


def test_the_placeholder_token_and_its_insert_button_are_on_separate_lines(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    html = text_of(as_person(world.org_admin).get(wording_url()))
    assert '<div class="placeholder-name"> <code>{{ learner_name }}</code> <button type="button"' in html


def test_the_form_allows_the_same_body_length_as_the_api(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    client = as_person(world.org_admin)
    too_long = client.post(wording_url(), {"subject": "Hello", "body": "x" * (BODY_MAX + 1)})
    assert too_long.status_code == 400 and too_long.context["form"].errors["body"]
    assert not Template.objects.exists()
    assert client.post(wording_url(), {"subject": "Hello", "body": "x" * BODY_MAX}).status_code == 302
    assert len(Template.objects.get().body) == BODY_MAX


HOSTILE = [
    "{% load static %}{% debug %}",
    "Your password: {{ request.user.password }}",
    "{{ learner_name|safe }}",
    "{{ course_title.__class__ }}",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_template_syntax_is_refused_at_the_field_and_shown_inert_in_the_preview(
    as_person: SignIn, world: World, sample_type: NotificationType, body: str
) -> None:
    client = as_person(world.org_admin)
    saved = client.post(wording_url(), {"subject": "Hello", "body": body})
    assert saved.status_code == 400
    assert saved.context["form"].errors["body"]
    assert 'id="id_body_error"' in saved.content.decode()
    assert not Template.objects.exists()
    preview = client.post(
        wording_url(), {"preview": "1", "subject": "Hi", "body": body}, headers={"HX-Request": "true"}
    )
    html = preview.content.decode()
    assert "This wording cannot be saved yet" in html
    # The text is shown as typed (escaped), never evaluated: no password hash, no debug dump.
    assert world.org_admin.user.password not in html and "sql_queries" not in html
    assert "{%" in html or "{{" in html


def test_an_unknown_placeholder_is_named_at_the_field(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    response = as_person(world.org_admin).post(wording_url(), {"subject": "{{ salary }}", "body": "Hello"})
    assert response.status_code == 400
    [error] = response.context["form"].errors["subject"]
    assert "Unknown placeholder {{ salary }}" in error


def test_markup_is_saved_as_text_and_the_preview_escapes_it(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    client = as_person(world.org_admin)
    body = '<script>alert("x")</script>\n\n<img src=x onerror=alert(1)> {{ learner_name }}'
    preview = client.post(
        wording_url(), {"preview": "1", "subject": "<b>Hi</b>", "body": body}, headers={"HX-Request": "true"}
    )
    html = preview.content.decode()
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; Lena Learner" in html
    client.post(wording_url(), {"subject": "<b>Hi</b>", "body": body})
    page = client.get(wording_url()).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_placeholder_sample_is_escaped_in_the_preview(as_person: SignIn, world: World) -> None:
    from syllabus.notifications.types import Placeholder

    declare_type(
        "tests.hostile_sample",
        placeholders={"learner_name": Placeholder(label="Learner", sample="<script>alert(1)</script>")},
        subject="Hi {{ learner_name }}",
        body="Hello {{ learner_name }}",
    )
    try:
        html = as_person(world.org_admin).get(wording_url("tests.hostile_sample")).content.decode()
    finally:
        registry.unregister("tests.hostile_sample")
    assert "<script>alert(1)" not in html and "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_org_admin_saves_a_wording_it_is_audited_and_shown_as_customised(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    client = as_person(world.org_admin)
    response = client.post(
        wording_url(), {"subject": " Reminder: {{ course_title }} ", "body": "Hi {{ learner_name }}"}, follow=True
    )
    assert response.redirect_chain == [(TYPES, 302)]
    template = Template.objects.get(organization=world.org, type_key=SAMPLE, language="en")
    assert (template.subject, template.body, template.updated_by) == (
        "Reminder: {{ course_title }}",
        "Hi {{ learner_name }}",
        world.org_admin.user,
    )
    text = text_of(response)
    assert "The English wording of “Test type tests.sample” was saved." in text
    assert "Customised on" in text and "by Olivia Admin" in text
    record = AuditRecord.objects.get(action="notification.template_saved")
    assert record.organization_id == world.org.pk
    # The editor opens on the saved wording, and offers the reset.
    edit = client.get(wording_url())
    assert edit.context["form"].initial["subject"] == "Reminder: {{ course_title }}"
    assert "Reset to built-in wording" in text_of(edit)


def test_reset_goes_back_to_the_built_in_wording_audited(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    services.template_save(
        organization=world.org, type_key=SAMPLE, language="en", subject="Ours", body="Ours", by=world.org_admin.user
    )
    response = as_person(world.org_admin).post(wording_url(), {"reset": "1"}, follow=True)
    assert response.redirect_chain == [(TYPES, 302)]
    assert "uses the built-in English wording again" in text_of(response)
    assert not Template.objects.exists()
    assert AuditRecord.objects.filter(action="notification.template_reset", organization=world.org).count() == 1


def test_another_organisations_wording_is_never_shown(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    services.template_save(
        organization=world.org,
        type_key=SAMPLE,
        language="en",
        subject="Acme secret subject",
        body="Acme secret body",
        by=world.org_admin.user,
    )
    client = as_person(world.outsider)
    types_page = client.get(TYPES)
    assert "Acme secret" not in text_of(types_page) and "Customised" not in text_of(types_page)
    edit = client.get(wording_url())
    assert edit.status_code == 200 and "Acme secret" not in text_of(edit)
    assert edit.context["form"].initial["subject"] == str(sample_type.subject)
    # Resetting in Globex leaves Acme's wording alone.
    client.post(wording_url(), {"reset": "1"})
    assert Template.objects.filter(organization=world.org).count() == 1


@pytest.mark.parametrize(
    "page", [wording_url("no.such.type"), wording_url(SAMPLE, "xx"), wording_url(ACCOUNT), wording_url(SAMPLE, "fr")]
)
def test_unknown_types_languages_and_account_level_types_are_not_found(
    as_person: SignIn, world: World, sample_type: NotificationType, account_type: NotificationType, page: str
) -> None:
    client = as_person(world.org_admin)
    assert client.get(page).status_code == 404
    assert client.post(page, {"subject": "Hi", "body": "Hi"}).status_code == 404
    assert not Template.objects.exists()


def test_a_wording_in_a_language_no_longer_offered_can_still_be_edited(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    Template.objects.create(organization=world.org, type_key=SAMPLE, language="de", subject="Hallo", body="Hallo")
    client = as_person(world.org_admin)
    assert client.get(wording_url(language="de")).status_code == 200
    [row] = [row for group in client.get(TYPES).context["groups"] for row in group.rows if row.kind.key == SAMPLE]
    assert [wording.language.code for wording in row.wordings] == ["en", "de"]


# --- the delivery log -----------------------------------------------------------------------------------------


def _deliveries(
    world: World,
    count: int,
    *,
    start: int = 0,
    organization: Any = None,
    subject: str = "Hello",
    created_at: dt.datetime | None = None,
    **fields: Any,
) -> None:
    organization = organization or world.org
    for index in range(start, start + count):
        recipient = MembershipFactory(
            organization=organization, user__display_name=f"Person {index}", user__email=f"person{index}@example.org"
        ).user
        notification = Notification.objects.create(
            recipient=recipient,
            organization=organization,
            type_key=SAMPLE,
            dedupe_key=f"log:{index}",
            subject=subject,
            body="Hello",
            created_at=created_at or clock.now(),
        )
        Delivery.objects.create(notification=notification, channel="email", not_before=clock.now(), **fields)


def test_the_log_shows_each_delivery_with_its_error_when_it_failed(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    _deliveries(world, 1, status=DeliveryStatus.SENT, attempts=1, sent_at=clock.now(), last_error="old timeout")
    _deliveries(
        world, 1, start=1, status=DeliveryStatus.BOUNCED, attempts=1, last_error="550 No such user", mode="digest"
    )
    response = as_person(world.org_admin).get(LOG)
    assert response.status_code == 200
    text = text_of(response)
    assert "2 deliveries" in text and "Person 0" in text and "Person 1" in text
    assert "Test type tests.sample" in text and "Email" in text and "In a daily digest" in text
    assert "Bounced" in text and "550 No such user" in text
    # A retried-then-sent delivery's old error is history, not shown.
    assert "old timeout" not in text
    assert {row.recipient: row.error for row in response.context["rows"]} == {
        "Person 0": "",
        "Person 1": "550 No such user",
    }
    assert '<th scope="col">Subject</th>' in text and '<th scope="col">Error</th>' in text
    assert 'data-label="Subject">Hello</td>' in text and "person1@example.org" in text


def test_the_log_shows_times_in_the_admins_zone_and_language_and_truncates_long_subjects(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    admin = world.org_admin.user
    admin.time_zone, admin.locale = "Europe/Paris", "fr"
    admin.save(update_fields=["time_zone", "locale"])
    created = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)  # already 28 November in Paris
    _deliveries(
        world, 1, status=DeliveryStatus.SENT, sent_at=created, subject="Rappel " + "très " * 40, created_at=created
    )
    text = text_of(as_person(world.org_admin).get(LOG))
    assert "28 novembre 2026" in text and "00:30" in text
    assert "2026-11-27" not in text.split("<tbody>")[1].replace('datetime="2026-11-27', "")
    assert '<span class="log-time">28 novembre 2026</span> <span class="log-time">00:30</span>' in text
    [row] = as_person(world.org_admin).get(LOG).context["rows"]
    assert row.subject.startswith("Rappel très") and row.subject.endswith("…") and len(row.subject) == 80


def test_the_log_filters_by_status_channel_and_type_with_an_htmx_fragment(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    _deliveries(world, 2, status=DeliveryStatus.SENT)
    _deliveries(world, 1, start=2, status=DeliveryStatus.FAILED, last_error="timed out")
    client = as_person(world.org_admin)
    failed = client.get(LOG, {"status": "failed"})
    assert [row.recipient for row in failed.context["rows"]] == ["Person 2"]
    assert len(client.get(LOG, {"channel": "email", "type": SAMPLE}).context["rows"]) == 3
    assert len(client.get(LOG, {"type": LOCKABLE}).context["rows"]) == 3  # not a known type now: ignored
    fragment = client.get(LOG, {"status": "sent"}, headers={"HX-Request": "true"})
    assert {template.name for template in fragment.templates} == {
        "notifications/admin/_log_results.html",
        "web/_pagination.html",
    }
    assert "<h1" not in fragment.content.decode() and "2 deliveries" in text_of(fragment)
    # A nonsense filter is ignored, not an error page.
    assert client.get(LOG, {"status": "exploded"}).status_code == 200


def test_the_log_filters_by_recipient_name_or_email_and_creation_days_in_the_admins_zone(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    admin = world.org_admin.user
    admin.time_zone = "Europe/Paris"
    admin.save(update_fields=["time_zone"])
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)  # 28 November, 00:30 in Paris
    _deliveries(world, 1, status=DeliveryStatus.SENT, created_at=late)
    _deliveries(world, 1, start=1, status=DeliveryStatus.SENT, created_at=late - dt.timedelta(days=3))
    _deliveries(world, 1, start=12, status=DeliveryStatus.SENT, created_at=late - dt.timedelta(days=3))
    client = as_person(world.org_admin)

    def recipients(**query: str) -> list[str]:
        response = client.get(LOG, query)
        assert response.status_code == 200
        return [row.recipient for row in response.context["rows"]]

    assert recipients(recipient="PERSON1@EXAMPLE") == ["Person 1"]
    assert sorted(recipients(recipient="person 1")) == ["Person 1", "Person 12"]
    assert recipients(recipient="  ") == recipients()
    assert recipients(date_from="2026-11-28") == ["Person 0"]
    assert recipients(date_to="2026-11-27") == ["Person 12", "Person 1"]
    assert recipients(date_from="2026-11-25", date_to="2026-11-25", recipient="12") == ["Person 12"]
    assert recipients(date_from="2026-11-24", date_to="2026-11-24") == []  # the 24th in UTC, not in Paris
    assert recipients(date_from="2026-11-29") == []
    # A malformed day is ignored, as other bad filters are.
    assert len(recipients(date_from="not-a-day")) == 3
    fragment = client.get(LOG, {"recipient": "person 0"}, headers={"HX-Request": "true"})
    assert "<h1" not in fragment.content.decode() and "1 delivery" in text_of(fragment)
    page = text_of(client.get(LOG, {"recipient": "person 0", "date_from": "2026-11-28"}))
    assert 'value="person 0"' in page and 'value="2026-11-28"' in page
    assert 'hx-trigger="submit, input changed delay:400ms from:#id_recipient' in page


def test_the_log_shows_only_this_organisations_deliveries(
    as_person: SignIn, world: World, sample_type: NotificationType
) -> None:
    _deliveries(world, 2, status=DeliveryStatus.SENT)
    response = as_person(world.outsider).get(LOG)
    assert response.context["rows"] == [] and "No deliveries match these filters." in text_of(response)


def test_the_log_is_paginated_by_50_with_constant_queries(
    as_person: SignIn, world: World, sample_type: NotificationType, django_assert_max_num_queries: Any
) -> None:
    client = as_person(world.org_admin)
    _deliveries(world, 3, status=DeliveryStatus.SENT)
    filtered = {"recipient": "person", "date_from": "2000-01-01", "date_to": "2100-01-01"}
    client.get(LOG)
    with CaptureQueriesContext(connection) as three:
        client.get(LOG)
    with CaptureQueriesContext(connection) as three_filtered:
        client.get(LOG, filtered)
    _deliveries(world, 27, start=3, status=DeliveryStatus.FAILED, last_error="timed out")
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(LOG)
    assert len(response.context["rows"]) == 30
    with django_assert_max_num_queries(len(three_filtered.captured_queries)):
        assert len(client.get(LOG, filtered).context["rows"]) == 30
    _deliveries(world, 25, start=30, status=DeliveryStatus.SENT)
    first, second = client.get(LOG), client.get(LOG, {"page": 2})
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5
    assert "Page 1 of 2" in text_of(first)


def test_the_types_page_costs_the_same_queries_with_more_wording(
    as_person: SignIn, world: World, every_type: None, django_assert_max_num_queries: Any
) -> None:
    client = as_person(world.org_admin)
    client.get(TYPES)
    with CaptureQueriesContext(connection) as before:
        client.get(TYPES)
    for key in (SAMPLE, LOCKABLE):
        services.template_save(
            organization=world.org, type_key=key, language="en", subject="S", body="B", by=world.org_admin.user
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(TYPES).status_code == 200
