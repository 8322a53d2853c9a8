"""Wording with safe placeholders: hostile values and templates, and the person's language and time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.accounts.models import User
from syllabus.notifications import rendering, services
from syllabus.notifications.models import Template
from syllabus.notifications.types import NotificationType
from tests.conftest import World
from tests.notifications.conftest import SAMPLE, SAMPLE_CONTEXT, declare_type, sample_notice

NAMES = ("learner_name", "course_title", "starts_at")


@pytest.fixture
def kind(sample_type: NotificationType) -> NotificationType:
    return sample_type


def render(subject: str, body: str, **context: object) -> rendering.Rendered:
    return rendering.render(subject=subject, body=body, context=context, language="en", time_zone="UTC")


# --- hostile values ------------------------------------------------------------------------------------------


def test_a_value_that_looks_like_a_placeholder_stays_text() -> None:
    rendered = render("{{ a }}", "{{ a }} / {{ b }}", a="{{ b }}", b="secret")
    assert rendered.subject == "{{ b }}"
    assert rendered.body == "{{ b }} / secret"


def test_a_value_cannot_add_an_email_header_through_the_subject() -> None:
    rendered = render("Welcome {{ name }}", "Hi", name="Lena\r\nBcc: x@evil.test\nX-Spam: no")
    assert rendered.subject == "Welcome Lena Bcc: x@evil.test X-Spam: no"
    assert "\r" not in rendered.subject and "\n" not in rendered.subject


def test_markup_in_a_value_is_kept_literally_in_the_text() -> None:
    assert render("s", "Hi {{ name }}", name="<script>alert(1)</script>").body == "Hi <script>alert(1)</script>"


def test_an_author_reference_to_an_attribute_is_never_resolved() -> None:
    rendered = render("{{ user.password }}", "{{ user.password }} {{ name|upper }} {% debug %}", user="u", name="n")
    assert rendered.subject == "{{ user.password }}"
    assert rendered.body == "{{ user.password }} {{ name|upper }} {% debug %}"


@given(values=st.lists(st.text(max_size=40), min_size=2, max_size=2))
def test_substitution_is_one_pass_whatever_the_values(values: list[str]) -> None:
    first, second = values
    rendered = render("{{ a }}|{{ b }}", "<{{ a }}|{{ b }}>", a=first, b=second)
    assert rendered.body == f"<{first}|{second}>".strip()
    assert rendered.subject == " ".join(f"{first}|{second}".split())


@given(value=st.text(max_size=400))
def test_a_subject_is_one_short_line_whatever_the_value(value: str) -> None:
    subject = render("Re: {{ a }}", "", a=value).subject
    assert len(subject) <= rendering.SUBJECT_MAX
    assert not any(char in subject for char in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


# --- what authors may write ----------------------------------------------------------------------------------


def test_known_placeholders_are_accepted(kind: NotificationType) -> None:
    assert rendering.template_errors("{{course_title}} starts {{  starts_at }} for {{ learner_name }}", kind) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Hello {{ password }}", "Unknown placeholder {{ password }}"),
        ("Hello {{ user.password }}", "is not a placeholder"),
        ("Hello {{ learner_name|upper }}", "is not a placeholder"),
        ("{% load static %}Hello", "is not a placeholder"),
        ("{% if x %}Hello{% endif %}", "is not a placeholder"),
        ("Hello {{ learner_name }", "is not a placeholder"),
        ("Hello learner_name }}", "is not a placeholder"),
        ("Hello {{ }}", "is not a placeholder"),
        ("Hello {{{{ learner_name }}}}", "is not a placeholder"),
    ],
)
def test_anything_but_a_known_placeholder_is_refused(kind: NotificationType, text: str, fragment: str) -> None:
    errors = rendering.template_errors(text, kind)
    assert errors and any(fragment in error for error in errors)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello {{ learner_name|upper }}!", ["{{ learner_name|upper }}"]),
        ("{% if x %}Hello{% endif %}", ["{% if x %}", "{% endif %}"]),
        ("Hello {{{{ learner_name }}}} and {{ course_title }}", ["{{{{ learner_name }}}}"]),
        ("Hello learner_name }} and {{ course_title }}", ["learner_name }}"]),
        ("Hello {{ learner_name }\nSee you", ["{{ learner_name }"]),
        ("Hi {{ " + "x." * 50 + " }}", [("{{ " + "x." * 50)[: rendering.STRAY_SHOWN_MAX - 1] + "…"]),
    ],
)
def test_the_error_quotes_each_whole_offending_token(kind: NotificationType, text: str, tokens: list[str]) -> None:
    assert rendering.template_errors(text, kind) == [rendering.ERROR_STRAY.format(text=token) for token in tokens]


def test_the_error_lists_what_the_type_offers(kind: NotificationType) -> None:
    (error,) = rendering.template_errors("{{ nope }}", kind)
    assert "{{ learner_name }}, {{ course_title }}, {{ starts_at }}" in error


chunks = st.text(alphabet=st.characters(blacklist_characters="{}%", codec="utf-8"), max_size=12)
safe_values = st.text(alphabet=st.characters(blacklist_characters="{}%", codec="utf-8"), min_size=1, max_size=12)


@given(parts=st.lists(st.tuples(chunks, st.sampled_from(NAMES)), max_size=6), tail=chunks, value=safe_values)
def test_a_template_that_passes_validation_renders_with_no_template_syntax_left(
    sample_kind: NotificationType, parts: list[tuple[str, str]], tail: str, value: str
) -> None:
    text = "".join(f"{chunk}{{{{ {name} }}}}" for chunk, name in parts) + tail
    assert rendering.template_errors(text, sample_kind) == []
    body = render("s", text, **dict.fromkeys(NAMES, value)).body
    assert not any(syntax in body for syntax in ("{{", "}}", "{%", "%}"))


@given(text=st.text(alphabet="{}% ab_.|", max_size=30))
def test_validation_and_rendering_agree_on_arbitrary_brace_soup(sample_kind: NotificationType, text: str) -> None:
    """Whatever an author types: either it is refused, or nothing brace-like survives rendering."""
    body = render("s", text, learner_name="x", course_title="x", starts_at="x").body
    if rendering.template_errors(text, sample_kind) == []:
        assert not any(syntax in body for syntax in ("{{", "}}", "{%", "%}"))


@pytest.fixture(scope="module")
def sample_kind() -> NotificationType:
    """The sample type's declaration, unregistered (template_errors needs only the declaration)."""
    kind = declare_type("tests.rendering")
    services.registry.unregister(kind.key)
    return kind


# --- values in the person's language and time zone -----------------------------------------------------------


def test_values_are_formatted_in_the_persons_language_and_time_zone() -> None:
    moment = dt.datetime(2026, 3, 14, 16, 30, tzinfo=dt.UTC)
    french = rendering.render(
        subject="",
        body="{{ at }} / {{ day }} / {{ n }}",
        context={"at": moment, "day": moment.date(), "n": Decimal("1.5")},
        language="fr",
        time_zone="Europe/Paris",
    )
    assert french.body == "14 mars 2026 17:30 (CET) / 14 mars 2026 / 1,5"
    english = rendering.render(subject="", body="{{ at }}", context={"at": moment}, language="en", time_zone="")
    assert english.body == "March 14, 2026, 4:30 p.m. (UTC)"


def test_a_naive_datetime_is_read_as_utc_rather_than_printing_none() -> None:
    naive = dt.datetime(2026, 3, 14, 16, 30)
    assert rendering.format_value(naive, time_zone="Europe/Paris") == rendering.format_value(
        naive.replace(tzinfo=dt.UTC), time_zone="Europe/Paris"
    )


def test_an_unknown_time_zone_falls_back_to_utc() -> None:
    moment = dt.datetime(2026, 3, 14, 16, 30, tzinfo=dt.UTC)
    assert rendering.format_value(moment, time_zone="Mars/Olympus") == rendering.format_value(moment, time_zone="UTC")


@pytest.fixture
def french_learner(world: World) -> User:
    user = world.learner.user
    user.locale, user.time_zone = "fr", "Europe/Paris"
    user.save(update_fields=["locale", "time_zone"])
    return user


@pytest.mark.django_db
def test_a_french_person_in_paris_reads_dates_in_french_and_paris_time(
    french_learner: User, sample_type: NotificationType
) -> None:
    notification = services.notify(sample_notice(french_learner))
    assert notification is not None
    assert notification.body == "Hello Lena,\n\nFire safety starts at 14 mars 2026 17:30 (CET)."


@pytest.mark.django_db
def test_wording_comes_from_the_persons_language_then_the_organisations_then_syllabus(
    world: World, french_learner: User, sample_type: NotificationType
) -> None:
    world.org.default_language = "de"
    world.org.save(update_fields=["default_language"])
    for language, subject in (("fr", "Bientôt : {{ course_title }}"), ("de", "Bald: {{ course_title }}")):
        services.template_save(
            organization=world.org,
            type_key=SAMPLE,
            language=language,
            subject=subject,
            body="{{ starts_at }}",
            by=world.org_admin.user,
        )
    spanish = world.manager.user
    spanish.locale, spanish.time_zone = "es", "Europe/Madrid"
    spanish.save(update_fields=["locale", "time_zone"])

    in_french, in_german, built_in, elsewhere = services.notify_many(
        [
            sample_notice(french_learner, organization_id=world.org.pk),
            sample_notice(spanish, organization_id=world.org.pk),
            sample_notice(french_learner, dedupe_key="account-level"),
            sample_notice(french_learner, organization_id=world.other_org.pk, dedupe_key="other-org"),
        ]
    )
    assert (in_french.subject, in_french.body) == ("Bientôt : Fire safety", "14 mars 2026 17:30 (CET)")
    # The German wording, with the date as the Spanish reader writes it.
    assert (in_german.subject, in_german.body) == ("Bald: Fire safety", "14 de marzo de 2026 a las 17:30 (CET)")
    assert built_in.subject == elsewhere.subject == "Fire safety starts soon"


@pytest.mark.django_db
def test_account_level_types_ignore_organisation_wording(world: World, french_learner: User) -> None:
    declare_type("tests.security", account_level=True)
    try:
        Template.objects.create(
            organization=world.org, type_key="tests.security", language="fr", subject="Org says", body="x"
        )
        notification = services.notify(
            sample_notice(french_learner, type="tests.security", organization_id=world.org.pk)
        )
    finally:
        services.registry.unregister("tests.security")
    assert notification is not None and notification.subject == "Fire safety starts soon"


@pytest.mark.django_db
def test_a_template_row_written_behind_the_services_back_still_cannot_reach_data(
    world: World, sample_type: NotificationType
) -> None:
    Template.objects.create(
        organization=world.org,
        type_key=SAMPLE,
        language="en",
        subject="{{ recipient.email }}",
        body="{{ recipient.password }} {{ learner_name }}",
    )
    notification = services.notify(sample_notice(world.learner.user, organization_id=world.org.pk))
    assert notification is not None
    assert notification.subject == "{{ recipient.email }}"
    assert notification.body == "{{ recipient.password }} " + SAMPLE_CONTEXT["learner_name"]
