"""The holder's pages: My certificates (current and history, the PDF being prepared or ready, badges, sharing),
one certificate's page for each persona, and the PDF download — from the attacker's side too."""

# Fixtures imported from people_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from syllabus.certificates import credentials
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, make_course
from tests.certificates.people_fixtures import PDF_BYTES, SignIn, as_person, issue, make_award, with_pdf  # noqa: F401
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def url(name: str, certificate=None) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"certificates:{name}", args=[certificate.public_id] if certificate is not None else [])


def test_my_certificates_shows_current_cards_and_a_history(
    world: World, award, template, officer, as_person: SignIn, moved_clock
) -> None:
    current = with_pdf(issue(world.learner, award, expires=NOW + dt.timedelta(days=365)))
    second = make_award(make_course(world, "Fire safety"), template)
    old = issue(world.learner, second, NOW - dt.timedelta(days=30))
    new = issue(world.learner, second, NOW - dt.timedelta(days=1))  # pending PDF
    revoked = issue(world.learner, make_award(make_course(world, "First aid"), template))
    issuing.certificate_revoke(certificate=revoked, by=officer.user, reason="Issued in error")
    issue(world.report, award)  # someone else's

    response = as_person(world.learner).get(url("mine"))
    assert response.status_code == 200
    text = _text(response)
    assert text.count("<h1") == 1
    assert [c.certificate.pk for c in response.context["current"]] == [current.pk, new.pk]
    assert {c.certificate.pk for c in response.context["history"]} == {old.pk, revoked.pk}
    assert "Rita" not in text
    # Ready: the download; being prepared: says so, and htmx asks again until it is ready.
    assert url("pdf", current) in text
    assert f'hx-get="{url("pdf-state", new)}"' in text and "The PDF is being prepared" in text
    assert f'hx-get="{url("pdf-state", current)}"' not in text
    # The badge downloads (the badges pages' names) and the public link to share, on SITE_URL.
    assert reverse("certificates:badge-png", args=[current.public_id]) in text
    assert reverse("certificates:badge-jwt", args=[current.public_id]) in text
    assert f'value="{credentials.verify_url(current)}"' in text
    assert credentials.verify_url(current).startswith("http")
    assert "Revoked" in text and "Superseded" in text and "Valid" in text
    assert "<script>" not in text.replace('<script src="', "")


def test_a_learner_without_certificates_is_told_so(world: World, as_person: SignIn) -> None:
    response = as_person(world.learner).get(url("mine"))
    assert "You have no certificates yet." in _text(response)


def test_hostile_titles_and_names_are_escaped(world: World, award, as_person: SignIn, moved_clock) -> None:
    world.learner.user.display_name = '<img src=x onerror="alert(1)">'
    world.learner.user.save()
    certificate = issue(world.learner, award)
    certificate.title = "<script>alert('t')</script>"
    certificate.recipient_name = world.learner.user.display_name
    certificate.save()
    client = as_person(world.learner)
    for page in (url("mine"), url("detail", certificate)):
        body = client.get(page).content.decode()
        assert "<script>alert" not in body and '<img src=x onerror="alert(1)">' not in body
        assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in body


def test_the_pdf_state_fragment_stops_polling_once_the_pdf_is_ready(
    world: World, award, as_person: SignIn, moved_clock
) -> None:
    certificate = issue(world.learner, award)
    client = as_person(world.learner)
    pending = client.get(url("pdf-state", certificate), headers={"HX-Request": "true"})
    assert pending.status_code == 200 and "hx-trigger" in pending.content.decode()
    assert "<html" not in pending.content.decode()
    with_pdf(certificate)
    ready = client.get(url("pdf-state", certificate), headers={"HX-Request": "true"})
    assert "hx-trigger" not in ready.content.decode() and url("pdf", certificate) in ready.content.decode()
    # Someone else's: not found.
    assert as_person(world.report).get(url("pdf-state", certificate)).status_code == 404


def test_the_pdf_downloads_with_a_proper_filename_only_when_ready_and_visible(
    world: World, award, as_person: SignIn, moved_clock
) -> None:
    award.course.title = "Sécurité incendie / niveau 1"
    award.course.save()
    certificate = issue(world.learner, award)
    client = as_person(world.learner)
    assert client.get(url("pdf", certificate)).status_code == 404  # still being drawn
    with_pdf(certificate)
    response = client.get(url("pdf", certificate))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"] == (
        'attachment; filename="certificate-securite-incendie-niveau-1-2026-03-02.pdf"; '
        "filename*=utf-8''certificate-s%C3%A9curit%C3%A9-incendie-niveau-1-2026-03-02.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    for other in (world.report, world.manager, world.outsider):
        assert as_person(other).get(url("pdf", certificate)).status_code == 404


def test_the_certificate_page_for_each_persona(world: World, award, officer, as_person: SignIn, moved_clock) -> None:
    rita = with_pdf(issue(world.report, award, score="91.50", expires=NOW + dt.timedelta(days=30)))
    # Rita herself: the facts, no management.
    page = as_person(world.report).get(url("detail", rita))
    assert page.status_code == 200
    text = _text(page)
    assert "Course Anti-bribery, version v1" in text and "91.5%" in text
    assert credentials.verify_url(rita) in text and str(rita.public_id) in text
    assert not page.context["can_revoke"] and url("revoke", rita) not in text
    # Her manager (Max manages Rita): sees it, may not revoke.
    page = as_person(world.manager).get(url("detail", rita))
    assert page.status_code == 200 and not page.context["can_revoke"]
    # The officer: Revoke and "Draw the PDF again".
    page = as_person(officer).get(url("detail", rita))
    assert page.context["can_revoke"] and page.context["can_rerender"]
    assert url("revoke", rita) in _text(page) and "Draw the PDF again" in _text(page)
    # Another learner, and an admin of another organisation: not found, as an id that does not exist.
    assert as_person(world.learner).get(url("detail", rita)).status_code == 404
    assert as_person(world.outsider).get(url("detail", rita)).status_code == 404
    assert as_person(world.learner).get("/certificates/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_a_superseded_certificate_points_to_its_successor_and_a_revoked_one_says_why(
    world: World, award, officer, as_person: SignIn, moved_clock
) -> None:
    first = issue(world.learner, award, NOW - dt.timedelta(days=400))
    second = issue(world.learner, award)
    client = as_person(world.learner)
    first_page = _text(client.get(url("detail", first)))
    assert "A newer certificate replaced this one." in first_page and url("detail", second) in first_page
    issuing.certificate_revoke(certificate=second, by=officer.user, reason="Exam irregularity")
    second_page = _text(client.get(url("detail", second)))
    assert "Revoked on 2 March 2026." in second_page and "Exam irregularity" in second_page


def test_pages_need_sign_in(world: World, award, client, moved_clock) -> None:  # type: ignore[no-untyped-def]
    certificate = issue(world.learner, award)
    for page in (url("mine"), url("detail", certificate), url("pdf", certificate)):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("count", [1, 8])
def test_my_certificates_costs_the_same_queries_at_any_size(
    world: World, template, as_person: SignIn, moved_clock, django_assert_max_num_queries, count: int
) -> None:
    for index in range(count):
        with_pdf(issue(world.learner, make_award(make_course(world, f"Course {index}"), template)))
    client = as_person(world.learner)
    client.get(url("mine"))  # the session and the organisation settle on the first request
    # The session, the user, the grants and the menu; the certificates themselves are one query.
    with django_assert_max_num_queries(13):
        response = client.get(url("mine"))
    assert len(response.context["current"]) == count
