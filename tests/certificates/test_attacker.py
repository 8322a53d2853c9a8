"""Certificates from the attacker's side (the security review of issue #10): bodies too large for the public
verification, rate limits per client, another organisation's ids, hostile file names, issuing races and late
events, keys after a SECRET_KEY change, an erasure racing the worker, the audit trail's personal data, constant
query counts of the lists not covered elsewhere."""

# Fixtures imported from badge_fixtures and people_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from django.core.files.storage import default_storage
from django.http import multipartparser
from django.test import Client
from django.urls import reverse
from rest_framework import parsers
from rest_framework.test import APIClient

from syllabus.audit.models import AuditPersonal, AuditRecord
from syllabus.audit.services import privacy_erase
from syllabus.certificates import keys, privacy, rendering, verification, views_public, views_templates
from syllabus.certificates.models import Award, Certificate, SigningKey, Template
from syllabus.certificates.services import issuing
from syllabus.core import parsers as core_parsers
from tests.api.conftest import V1
from tests.certificates.badge_fixtures import fresh_rate_limits, issued  # noqa: F401 (fixtures)
from tests.certificates.conftest import NOW, finish
from tests.certificates.people_fixtures import SignIn, as_person, with_pdf  # noqa: F401 (fixtures)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

VERIFY_FORM = reverse("certificates:verify-upload")
VERIFY_API = f"{V1}/certificates/verify/"
TOO_LARGE = str(verification.REQUEST_LIMIT + 1)


def forbid_reading_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, parsing a form's or a JSON body fails the test."""

    def read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the body was read")

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", read)
    monkeypatch.setattr(parsers.JSONParser, "parse", read)


@pytest.fixture
def body_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is refused for its size must be refused before its body is read."""
    forbid_reading_bodies(monkeypatch)


# --- the public verification: size and rate limits before the body is read --------------------------------------


def test_the_form_refuses_a_body_larger_than_any_badge_before_reading_it(issued, body_never_read) -> None:
    # With CSRF enforced: checking the token reads a form's body, so it must come after the size check.
    client = Client(enforce_csrf_checks=True)
    response = client.post(VERIFY_FORM, {"credential": issued.credential}, CONTENT_LENGTH=TOO_LARGE)
    assert response.status_code == 413
    assert views_public.FILE_TOO_LARGE.format(limit=5) in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin" and response["X-Robots-Tag"] == "noindex"


def test_the_form_is_rate_limited_before_its_body_is_read(settings, issued, monkeypatch) -> None:
    settings.CERTIFICATES_VERIFY_UPLOAD_RATE = 1
    client = Client()
    assert client.post(VERIFY_FORM, {"credential": issued.credential}).status_code == 200
    forbid_reading_bodies(monkeypatch)
    assert client.post(VERIFY_FORM, {"credential": issued.credential}).status_code == 429


def test_the_form_still_needs_its_csrf_token_for_a_body_of_a_fair_size(issued) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(VERIFY_FORM, {"credential": issued.credential}).status_code == 403


def test_the_api_refuses_a_body_larger_than_any_badge_before_reading_it(body_never_read) -> None:
    response = APIClient().post(VERIFY_API, {"credential": "x"}, format="json", CONTENT_LENGTH=TOO_LARGE)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["status"] == 413 and error["message"] == views_public.FILE_TOO_LARGE.format(limit=5)


def test_a_fair_body_is_still_verified_by_the_api(issued) -> None:
    response = APIClient().post(VERIFY_API, {"credential": issued.credential}, format="json")
    assert response.status_code == 200 and response.json()["ok"] is True


@pytest.mark.parametrize(
    "text",
    [
        '{"id": ' + "[" * 30000,  # JSON nested deeper than Python's recursion limit
        base64.urlsafe_b64encode(b"[" * 40000).decode().rstrip("=") + ".e30.c2ln",  # the same in a JWS header
    ],
)
def test_deeply_nested_json_is_refused_not_a_server_error(text: str) -> None:
    result = verification.verify_text(text)
    assert not result.ok and result.reasons in (
        [verification.NOT_JSON],
        [verification.UNREADABLE_HEADER],
    )
    response = APIClient().post(VERIFY_API, {"credential": text[: verification.TOKEN_LIMIT]}, format="json")
    assert response.status_code == 200 and response.json()["ok"] is False


def test_a_json_body_nested_too_deeply_is_a_parse_error_not_a_server_error() -> None:
    body = '{"credential": ' + "[" * 20000
    response = APIClient().post(VERIFY_API, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == core_parsers.NESTED_TOO_DEEPLY


def page(client: Client, certificate: Certificate, **extra: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("certificates:verify", args=[certificate.public_id]), **extra)


def test_ipv6_clients_are_counted_by_their_64_network(client, settings, issued) -> None:
    settings.CERTIFICATES_VERIFY_PAGE_RATE = 2
    assert [page(client, issued, REMOTE_ADDR=f"2001:db8:0:1::{n}").status_code for n in (1, 2)] == [200, 200]
    # Another address of the same /64 (one subscriber's) is the same client.
    assert page(client, issued, REMOTE_ADDR="2001:db8:0:1:ffff::9").status_code == 429
    assert page(client, issued, REMOTE_ADDR="2001:db8:0:2::1").status_code == 200


def test_the_api_counts_ipv6_clients_by_their_64_network_too(settings, issued) -> None:
    settings.CERTIFICATES_VERIFY_API_RATE = 1
    first = APIClient(REMOTE_ADDR="2001:db8:5:6::1").post(VERIFY_API, {"credential": "x"}, format="json")
    again = APIClient(REMOTE_ADDR="2001:db8:5:6::abcd").post(VERIFY_API, {"credential": "x"}, format="json")
    assert (first.status_code, again.status_code) == (200, 429)


def test_a_spoofed_forwarded_for_does_not_escape_the_rate_limit(client, settings, issued) -> None:
    # Behind one proxy the client is the last X-Forwarded-For entry; what the client wrote before it is ignored.
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CERTIFICATES_VERIFY_PAGE_RATE = 2
    codes = [
        page(client, issued, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.5").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    other = page(client, issued, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.5, 198.51.100.6")
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_the_rate_key_of_an_address(address: str | None, key: str) -> None:
    assert verification.rate_key(address) == key


# --- another organisation's ids, and officer endpoints as a learner ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("detail", "get"),
        ("pdf", "get"),
        ("pdf-state", "get"),
        ("badge-json", "get"),
        ("badge-jwt", "get"),
        ("badge-png", "get"),
        ("badge-svg", "get"),
        ("revoke", "get"),
        ("revoke", "post"),
        ("rerender", "post"),
    ],
)
def test_another_organisations_admin_finds_none_of_our_certificates(client, world, issued, name, method) -> None:
    with_pdf(issued)
    client.force_login(world.outsider.user)
    response = getattr(client, method)(reverse(f"certificates:{name}", args=[issued.public_id]), {"reason": "x"})
    assert response.status_code == 404
    issued.refresh_from_db()
    assert issued.state == "valid" and issued.render_state == "ready"


@pytest.mark.parametrize(
    ("suffix", "method"), [("", "get"), ("pdf/", "get"), ("revoke/", "post"), ("rerender/", "post")]
)
def test_another_organisations_admin_finds_none_of_our_certificates_in_the_api(
    world, issued, as_member, suffix, method
) -> None:
    client = as_member(world.outsider)
    response = getattr(client, method)(f"{V1}/certificates/{issued.public_id}/{suffix}", {"reason": "x"})
    assert response.status_code == 404
    issued.refresh_from_db()
    assert issued.state == "valid"


def test_our_template_and_award_ids_are_not_found_by_another_organisation(client, world, award, as_member) -> None:
    client.force_login(world.outsider.user)
    template = award.template
    for name in ("template-edit", "template-preview-pdf"):
        assert client.get(reverse(f"certificates:{name}", args=[template.pk])).status_code == 404
    for name in ("template-default", "template-archive", "template-delete"):
        assert client.post(reverse(f"certificates:{name}", args=[template.pk])).status_code == 404
    assert client.get(reverse("certificates:template-preview"), {"template": template.pk}).status_code == 404
    assert client.get(reverse("certificates:award-edit", args=[award.pk])).status_code == 404
    assert client.post(reverse("certificates:award-delete", args=[award.pk])).status_code == 404
    assert client.post(reverse("certificates:award-backfill", args=[award.pk])).status_code == 404
    api = as_member(world.outsider)
    assert api.get(f"{V1}/certificates/templates/{template.pk}/").status_code == 404
    assert api.delete(f"{V1}/certificates/templates/{template.pk}/").status_code == 404
    assert api.get(f"{V1}/certificates/awards/{award.pk}/").status_code == 404
    assert api.delete(f"{V1}/certificates/awards/{award.pk}/").status_code == 404
    assert Template.objects.filter(pk=template.pk, archived=False).exists()
    assert Award.objects.filter(pk=award.pk, enabled=True).exists()


def test_a_learner_calling_the_officer_endpoints_is_refused(client, world, issued, as_member) -> None:
    client.force_login(world.learner.user)
    template = issued.template
    assert template is not None
    for name in ("templates", "template-create", "awards", "award-create", "keys", "list", "export"):
        assert client.get(reverse(f"certificates:{name}")).status_code == 403, name
    assert client.post(reverse("certificates:key-rotate"), {"confirm": "on"}).status_code == 403
    assert client.post(reverse("certificates:template-preview"), {"html": "<p>x</p>"}).status_code == 403
    assert client.post(reverse("certificates:template-delete", args=[template.pk])).status_code == 403
    assert client.post(reverse("certificates:revoke", args=[issued.public_id]), {"reason": "x"}).status_code == 403
    api = as_member(world.learner)
    assert api.get(f"{V1}/certificates/templates/").status_code == 403
    assert api.get(f"{V1}/certificates/awards/").status_code == 403
    assert api.get(f"{V1}/certificates/keys/").status_code == 403
    assert api.post(f"{V1}/certificates/keys/rotate/").status_code == 403
    assert api.post(f"{V1}/certificates/{issued.public_id}/revoke/", {"reason": "x"}, format="json").status_code == 403
    issued.refresh_from_db()
    assert issued.state == "valid" and SigningKey.objects.filter(organization=world.org).count() == 1


# --- downloads with hostile titles ----------------------------------------------------------------------------------


def test_hostile_titles_cannot_inject_headers_into_downloads(client, world, issued) -> None:
    Certificate.objects.filter(pk=issued.pk).update(title='Fire\r\nSet-Cookie: x=1; "quoted" — Ünï 中文')
    issued.refresh_from_db()
    with_pdf(issued)
    client.force_login(world.learner.user)
    for name in ("pdf", "badge-png", "badge-svg", "badge-json", "badge-jwt"):
        response = client.get(reverse(f"certificates:{name}", args=[issued.public_id]))
        assert response.status_code == 200, name
        disposition = response["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition and "x" not in response.cookies
        plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
        assert plain.isascii() and '"' not in plain and ";" not in plain


# --- templates: what an admin's template and the preview can reach ------------------------------------------------


@pytest.mark.parametrize(
    "css",
    [
        "p { background: url('data:image/png;base64,AAAA'); }",
        'p { background: url("data:image/png;base64,AAAA"); }',
        'p { background: url(  "data:image/png;base64,AAAA" ); }',
        "@font-face { font-family: X; src: url( 'DATA:font/woff2;base64,AAAA') format('woff2'); }",
    ],
)
def test_quoted_data_uris_are_allowed_in_css(css: str) -> None:
    assert rendering.css_problems(css) == []


@pytest.mark.parametrize(
    "css",
    [
        "p { background: url(' http://127.0.0.1/x.png'); }",
        'p { background: url( "file:///etc/passwd"); }',
        'p { background: url("data"); }',
        "p { background: url('data:x'), url('//evil.example/x'); }",
    ],
)
def test_quoting_does_not_let_a_remote_url_through(css: str) -> None:
    assert rendering.css_problems(css) == [rendering.CSS_URL.format(line=1)]


def test_nothing_inside_a_data_svg_is_fetched_either(world, monkeypatch) -> None:
    asked: list[str] = []
    real = rendering._fetch_data_only

    def spy(url: str, *args: object, **kwargs: object) -> dict[str, object]:
        asked.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(rendering, "_fetch_data_only", spy)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="9" height="9">'
        '<image href="http://127.0.0.1:9/a.png" width="9" height="9"/>'
        '<image xlink:href="file:///etc/passwd" width="9" height="9"/><use href="http://127.0.0.1:9/u.svg#x"/></svg>'
    )
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    fields = rendering.TemplateFields(html=f'<img src="{uri}"><p>{{{{ learner_name }}}}</p>')
    pdf = rendering.pdf_from_html(rendering.render_html(fields, {"learner_name": "x"}))
    assert pdf.startswith(b"%PDF")
    # Asked, and refused: the fetcher raises for all but data: (WeasyPrint logs it and draws without the image).
    assert {url for url in asked if not url.startswith("data:")} == {
        "http://127.0.0.1:9/a.png",
        "file:///etc/passwd",
        "http://127.0.0.1:9/u.svg#x",
    }


def test_the_preview_document_is_sandboxed_by_its_own_policy_too(world, officer, as_person: SignIn) -> None:
    # Opened on its own (not in the editor's sandboxed frame), the preview is still an opaque origin.
    response = as_person(officer).get(reverse("certificates:template-preview"))
    assert response.status_code == 200
    assert "sandbox" in response["Content-Security-Policy"].split("; ")
    assert views_templates.PREVIEW_CSP["default-src"] == ["'none'"]


# --- issuing: races, late events ------------------------------------------------------------------------------------


def test_a_certificate_issued_late_for_an_older_completion_does_not_supersede_the_newer_one(
    world, award, moved_clock
) -> None:
    newer = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    late = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW - dt.timedelta(days=200)).pk)
    assert newer is not None and late is not None
    newer.refresh_from_db()
    assert newer.state == "valid" and newer.superseded_by_id is None
    assert late.state == "superseded" and late.superseded_by_id == newer.pk
    assert verification.verify_token(late.credential).status == "superseded"
    assert verification.verify_token(newer.credential).ok
    record = AuditRecord.objects.filter(action="certificate.issued").order_by("-pk").first()
    assert record is not None and record.after["superseded_by"] == newer.pk and record.after["supersedes"] is None


def test_two_completions_racing_for_a_persons_first_certificate_both_get_one(world, award, moved_clock, monkeypatch):
    first = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW - dt.timedelta(days=1)).pk)
    assert first is not None
    # The second issue looked before the first committed (PostgreSQL: no row lock covers a row not yet there),
    # so it saw no valid certificate; the one-valid index then refuses its insert.
    real = Certificate.objects.select_for_update
    looked: list[int] = []

    def blind_first_time():  # type: ignore[no-untyped-def]
        looked.append(1)
        return Certificate.objects.none() if len(looked) == 1 else real()

    monkeypatch.setattr(Certificate.objects, "select_for_update", blind_first_time)
    second = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    assert second is not None and second.pk != first.pk and second.state == "valid"
    first.refresh_from_db()
    assert first.state == "superseded" and first.superseded_by_id == second.pk
    assert Certificate.objects.filter(membership=world.learner, state="valid").count() == 1


# --- keys after a SECRET_KEY change ------------------------------------------------------------------------------


def test_the_first_key_is_made_on_first_use_and_audited(world, issued) -> None:
    record = AuditRecord.objects.get(action="certificate.key_created")
    assert record.after == {"active_kid": str(issued.signing_key.kid)}


def test_the_old_secret_in_the_fallbacks_keeps_the_key_signing(world, award, issued, settings, moved_clock) -> None:
    moved_clock.move(days=2)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-test-" + "s" * 40
    later = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW + dt.timedelta(days=1)).pk)
    assert later is not None and later.signing_key_id == issued.signing_key_id
    assert verification.verify_token(later.credential).ok


def test_a_secret_key_changed_without_fallback_replaces_the_unreadable_key_and_issuing_goes_on(
    world, award, issued, settings, caplog, moved_clock
) -> None:
    moved_clock.move(days=2)
    old = issued.signing_key
    settings.SECRET_KEY = "a-new-secret-key-for-the-test-" + "s" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert not keys.readable(old)

    later = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW + dt.timedelta(days=1)).pk)

    assert later is not None and later.credential and later.signing_key_id != old.pk
    old.refresh_from_db()
    assert old.state == "retired"
    assert verification.verify_token(later.credential).ok
    # The old key stays published: what it signed is still genuine (now superseded).
    assert verification.verify_token(issued.credential).authentic
    record = AuditRecord.objects.get(action="certificate.key_replaced")
    assert record.before == {"active_kid": str(old.kid)}
    assert record.after == {"active_kid": str(later.signing_key.kid), "cause": "unreadable"}
    assert "cannot be unsealed" in caplog.text


def test_no_private_key_material_reaches_the_audit_trail_or_the_public_documents(client, world, issued) -> None:
    pem = keys.unseal(issued.signing_key.private_key).decode()
    private = keys.private_key(issued.signing_key).private_numbers()
    secrets = [pem.splitlines()[1][:40], str(private.d)[:40], issued.signing_key.private_key[:40]]
    audit = json.dumps([[r.before, r.after, r.summary] for r in AuditRecord.objects.all()], default=str)
    documents = [
        client.get(reverse("certificates:jwks", args=[world.org.slug])).content.decode(),
        client.get(reverse("certificates:key", args=[issued.signing_key.kid])).content.decode(),
        json.dumps(keys.public_jwk(issued.signing_key)),
    ]
    for text in (audit, *documents):
        assert not any(secret in text for secret in secrets)
        assert '"d"' not in text


# --- privacy: the audit trail, the reason, a drawing racing an erasure ---------------------------------------------


def test_the_reason_of_a_revocation_is_kept_with_the_holders_erasable_data(world, issued, officer, moved_clock):
    issuing.certificate_revoke(certificate=issued, by=officer.user, reason="Lena Learner let someone else sit it")
    record = AuditRecord.objects.get(action="certificate.revoked")
    assert record.before == {"state": "valid"} and record.after == {"state": "revoked"}
    parts = AuditPersonal.objects.filter(record=record)
    assert any(part.data.get("after") == {"reason": "Lena Learner let someone else sit it"} for part in parts)

    privacy_erase(user=world.learner.user, organization=world.org, by=world.org_admin.user)

    issued.refresh_from_db()
    assert issued.state == "revoked" and issued.revoke_reason == "" and issued.state_changed_at is not None
    remaining = json.dumps([part.data for part in AuditPersonal.objects.all()], default=str)
    assert "someone else" not in remaining


def test_an_erasure_while_the_pdf_is_drawn_does_not_bring_back_a_pdf_with_the_name(
    world, issued, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    assert issued.render_state == "pending"

    def drawn_while_erased(html: str) -> bytes:
        assert "Lena Learner" in html
        with django_capture_on_commit_callbacks(execute=True):
            privacy.erase_person(world.learner.user, None)
        return b"%PDF-1.7\n% Lena Learner\n%%EOF\n"

    monkeypatch.setattr(rendering, "pdf_from_html", drawn_while_erased)
    state = rendering.render_and_store(issued.pk)

    issued.refresh_from_db()
    assert state == "failed" and issued.render_state == "failed"
    assert issued.pdf.name == "" and issued.recipient_name != "Lena Learner"
    assert not default_storage.exists(rendering._file_name(issued))


# --- constant query counts of the lists not covered elsewhere ----------------------------------------------------


@pytest.mark.parametrize("people", [2, 20])
def test_the_csv_export_costs_the_same_queries_at_any_size(
    world, award, officer, as_person: SignIn, moved_clock, django_assert_max_num_queries, people: int
) -> None:
    for _ in range(people):
        member = MembershipFactory(organization=world.org, org_unit=world.sales)
        issuing.issue_for_course_completion(finish(member, award.course, NOW).pk)
    client = as_person(officer)
    client.get(reverse("certificates:list"))  # the session and the organisation settle on the first request
    with django_assert_max_num_queries(14):
        response = client.get(reverse("certificates:export"))
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == people + 1


@pytest.mark.parametrize("count", [1, 15])
def test_the_jwks_costs_the_same_queries_whatever_the_number_of_keys(
    client, world, django_assert_max_num_queries, count: int
) -> None:
    for _ in range(count):
        keys.key_create(organization=world.org, by=None)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("certificates:jwks", args=[world.org.slug]))
    assert len(response.json()["keys"]) == count


def test_the_public_achievement_of_a_deleted_course_is_simply_gone(client, world, award, issued) -> None:
    # Deleting the course deletes its award; the certificate and its verification page stay.
    course = award.course
    course.delete()
    issued.refresh_from_db()
    assert issued.award_id is None and issued.course_id is None
    assert client.get(reverse("certificates:achievement", args=[award.public_id])).status_code == 404
    facts = page(Client(), issued, HTTP_ACCEPT="application/json").json()
    assert facts["status"] == "valid" and facts["achievement"]
    assert verification.verify_token(issued.credential).ok


def test_a_completion_recorded_in_another_organisation_issues_nothing_here(world, award, moved_clock) -> None:
    theirs = MembershipFactory(organization=world.other_org)
    completion = finish(theirs, award.course, NOW)  # a forged row: their member, their organisation, our course
    assert issuing.issue_for_course_completion(completion.pk) is None
    assert not Certificate.objects.filter(membership=theirs).exists()


def test_the_verification_page_answers_an_unknown_and_a_malformed_id_alike(client, issued) -> None:
    unknown = client.get(reverse("certificates:verify", args=["00000000-0000-4000-8000-000000000001"]))
    malformed = client.get(reverse("certificates:verify", args=["nope"]))
    assert unknown.status_code == malformed.status_code == 404

    # The same page, but for the address asked and the CSRF token (masked afresh on every response).
    def shown(response, asked: str) -> str:  # type: ignore[no-untyped-def]
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode().replace(asked, "ID"))

    assert shown(unknown, "00000000-0000-4000-8000-000000000001") == shown(malformed, "nope")
