"""The learner's side: "My compliance" (what is due, why, what to do), acknowledging and signing pages, the
signature's manifestation, the /api/v1/compliance/me/ API, and nobody reaching someone else's items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment, Program, Signature
from syllabus.compliance.services.signatures import IDENTITY_FAILED
from tests.accounts.security.conftest import act_in
from tests.api.conftest import token_for
from tests.compliance.conftest import Builder, Clock, complete, make_course
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MINE = reverse("compliance:mine")
API_LIST = reverse("api:v1:compliance-my-assignments")
STATEMENT = "I will neither offer nor accept bribes."
MEANING = "I completed this training and understood it."


def signed_in(membership) -> Client:
    client = Client()
    act_in(client, membership)
    return client


def api_as(membership) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
    return client


def assignment_of(program: Program, membership) -> Assignment:
    return Assignment.objects.get(program=program, membership=membership, ended_at__isnull=True)


@pytest.fixture
def ack_program(build: Builder, sales) -> Program:
    return build.program(sales, [], name="Code of conduct", requirement="acknowledgement", statement=STATEMENT)


@pytest.fixture
def signed_program(build: Builder, sales, course) -> Program:
    return build.program(sales, [course], name="Anti-bribery", require_signature=True, signature_meaning=MEANING)


# --- My compliance ------------------------------------------------------------------------------------------------


def test_my_compliance_lists_overdue_first_with_the_reason_and_what_to_do(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    late = build.program(sales, [course], name="Fire safety", due_rule="fixed", due_on="2026-02-01")
    build.program(sales, [], name="Code of conduct", requirement="acknowledgement", statement=STATEMENT)
    page = signed_in(world.learner).get(MINE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Fire safety") < html.index("Code of conduct")
    assert "Overdue since 2 March 2026 (it was due 1 February 2026)." in html
    assert "Due 1 April 2026." in html
    assert reverse("catalog:course", args=[course.pk]) in html
    code_of_conduct = Assignment.objects.get(program__name="Code of conduct", membership=world.learner)
    assert reverse("compliance:my-acknowledge", args=[code_of_conduct.pk]) in html
    assert reverse("compliance:my-acknowledge", args=[assignment_of(late, world.learner).pk]) not in html


def test_my_compliance_shows_nothing_of_other_people(world: World, ack_program, moved_clock: Clock) -> None:
    html = signed_in(world.engineer).get(MINE).content.decode()
    assert "Code of conduct" not in html
    assert "Nothing is required of you at the moment." in html


def test_my_compliance_reads_in_constant_queries(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    client = signed_in(world.learner)
    build.program(sales, [course], name="P1", require_signature=True, signature_meaning=MEANING)
    complete(world.learner, course, moved_clock.now)
    client.get(MINE)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(MINE).status_code == 200
    for number in range(2, 6):
        other = make_course(world, f"Course {number}")
        build.program(sales, [other], name=f"P{number}", require_signature=True, signature_meaning=MEANING)
        complete(world.learner, other, moved_clock.now)
    with CaptureQueriesContext(connection) as large:
        response = client.get(MINE)
    assert response.content.decode().count("Sign your completion") >= 5
    assert len(large.captured_queries) == len(small.captured_queries)


# --- acknowledging --------------------------------------------------------------------------------------------------


def test_acknowledging_from_the_page_makes_the_person_compliant(world: World, ack_program, moved_clock: Clock) -> None:
    client = signed_in(world.learner)
    url = reverse("compliance:my-acknowledge", args=[assignment_of(ack_program, world.learner).pk])
    page = client.get(url)
    assert page.status_code == 200 and STATEMENT in page.content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "Tick the box to confirm you have read the statement." in refused.content.decode()
    done = client.post(url, {"agree": "on"})
    assert done.status_code == 302 and done.url == MINE
    assert assignment_of(ack_program, world.learner).status == "compliant"
    assert "Compliant; this does not expire." in client.get(MINE).content.decode()


def test_a_signed_acknowledgement_shows_the_manifestation_afterwards(
    world: World, build: Builder, sales, moved_clock: Clock
) -> None:
    program = build.program(
        sales,
        [],
        name="Code of conduct",
        requirement="acknowledgement",
        statement=STATEMENT,
        require_signature=True,
        signature_meaning="I agree to comply.",
    )
    client = signed_in(world.learner)
    url = reverse("compliance:my-acknowledge", args=[assignment_of(program, world.learner).pk])
    wrong = client.post(url, {"agree": "on", "password": "nope"})
    assert wrong.status_code == 400 and IDENTITY_FAILED in wrong.content.decode()
    done = client.post(url, {"agree": "on", "password": PASSWORD}, follow=True)
    html = done.content.decode()
    assert "Lena Learner" in html and "I agree to comply." in html and STATEMENT in html
    assert Signature.objects.get().record_hash in html


def test_nobody_acknowledges_someone_elses_assignment(world: World, ack_program, moved_clock: Clock) -> None:
    url = reverse("compliance:my-acknowledge", args=[assignment_of(ack_program, world.learner).pk])
    assert signed_in(world.report).post(url, {"agree": "on"}).status_code == 404
    assert signed_in(world.org_admin).get(url).status_code == 404
    assert signed_in(world.outsider).get(url).status_code == 404
    assert assignment_of(ack_program, world.learner).status == "due_soon"


# --- signing a completion -------------------------------------------------------------------------------------------


def test_the_signing_page_shows_the_record_and_the_meaning_and_signs_with_the_password(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="92")
    client = signed_in(world.learner)
    mine = client.get(MINE).content.decode()
    url = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.learner).pk, done.pk])
    assert url in mine and "Sign your completion" in mine
    page = client.get(url).content.decode()
    assert "Anti-bribery" in page and MEANING in page and "2 March 2026" in page and "92%" in page
    # No authenticator app: only the password is asked for.
    assert 'autocomplete="current-password"' in page and 'autocomplete="one-time-code"' not in page
    wrong = client.post(url, {"password": "not-it"})
    assert wrong.status_code == 400
    assert IDENTITY_FAILED in wrong.content.decode()
    assert not Signature.objects.exists()
    signed = client.post(url, {"password": PASSWORD})
    signature = Signature.objects.get()
    assert signed.status_code == 302 and signed.url == reverse("compliance:my-signature", args=[signature.pk])
    manifestation = client.get(signed.url).content.decode()
    assert "Lena Learner" in manifestation and MEANING in manifestation and signature.record_hash in manifestation
    assert assignment_of(signed_program, world.learner).status == "compliant"
    # Signed: it is no longer offered for signing.
    assert client.get(url).status_code == 404


def test_nobody_signs_someone_elses_completion_or_sees_their_signature(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now)
    url = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.learner).pk, done.pk])
    assert signed_in(world.report).post(url, {"password": PASSWORD}).status_code == 404
    assert signed_in(world.outsider).get(url).status_code == 404
    # Their own assignment with the learner's completion: not found either.
    theirs = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.report).pk, done.pk])
    assert signed_in(world.report).post(theirs, {"password": PASSWORD}).status_code == 404
    assert not Signature.objects.exists()
    signed_in(world.learner).post(url, {"password": PASSWORD})
    page = reverse("compliance:my-signature", args=[Signature.objects.get().pk])
    assert signed_in(world.report).get(page).status_code == 404
    assert signed_in(world.outsider).get(page).status_code == 404


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_only_my_assignments_with_what_i_can_do(
    world: World, ack_program, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="88")
    body = api_as(world.learner).get(API_LIST).json()
    assert body["count"] == 2
    rows = {row["program"]["name"]: row for row in body["results"]}
    assert rows["Code of conduct"]["can_acknowledge"] is True
    assert rows["Code of conduct"]["program"]["statement"] == STATEMENT
    assert rows["Anti-bribery"]["signable_completions"][0]["id"] == done.pk
    assert rows["Anti-bribery"]["explanation"] == "Due 1 April 2026."
    assert api_as(world.engineer).get(API_LIST).json()["count"] == 0


def test_the_api_acknowledges_and_signs(world: World, ack_program, signed_program, course, moved_clock: Clock) -> None:
    client = api_as(world.learner)
    ack = assignment_of(ack_program, world.learner)
    response = client.post(reverse("api:v1:compliance-my-assignment-acknowledge", args=[ack.pk]), {}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "compliant"
    again = client.post(reverse("api:v1:compliance-my-assignment-acknowledge", args=[ack.pk]), {}, format="json")
    assert again.status_code == 400
    done = complete(world.learner, course, moved_clock.now)
    sign_url = reverse("api:v1:compliance-my-assignment-sign", args=[assignment_of(signed_program, world.learner).pk])
    wrong = client.post(sign_url, {"completion_id": done.pk, "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["errors"][0] == {"field": "password", "message": IDENTITY_FAILED, "code": "invalid"}
    ok = client.post(sign_url, {"completion_id": done.pk, "password": PASSWORD}, format="json")
    assert ok.status_code == 201 and ok.json()["meaning"] == MEANING
    assert assignment_of(signed_program, world.learner).status == "compliant"


def test_the_api_does_not_reach_other_peoples_assignments(
    world: World, ack_program, signed_program, course, moved_clock: Clock
) -> None:
    theirs = assignment_of(ack_program, world.learner)
    for who in (world.report, world.org_admin, world.outsider):
        url = reverse("api:v1:compliance-my-assignment-acknowledge", args=[theirs.pk])
        assert api_as(who).post(url, {}, format="json").status_code == 404
    done = complete(world.learner, course, moved_clock.now)
    mine = reverse("api:v1:compliance-my-assignment-sign", args=[assignment_of(signed_program, world.report).pk])
    response = api_as(world.report).post(mine, {"completion_id": done.pk, "password": PASSWORD}, format="json")
    assert response.status_code == 404
    assert not Signature.objects.exists()
    assert APIClient().get(API_LIST).status_code in (401, 403)


def test_the_api_list_reads_in_constant_queries(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    client = api_as(world.learner)
    build.program(sales, [course], name="P1", require_signature=True, signature_meaning=MEANING)
    complete(world.learner, course, moved_clock.now)
    client.get(API_LIST)
    with CaptureQueriesContext(connection) as small:
        client.get(API_LIST)
    for number in range(2, 6):
        other = make_course(world, f"Course {number}")
        build.program(sales, [other], name=f"P{number}", require_signature=True, signature_meaning=MEANING)
        complete(world.learner, other, moved_clock.now)
    with CaptureQueriesContext(connection) as large:
        body = client.get(API_LIST).json()
    assert body["count"] == 5
    assert len(large.captured_queries) == len(small.captured_queries)


def test_expiry_and_renewal_show_in_words(world: World, build: Builder, sales, course, moved_clock: Clock) -> None:
    program = build.program(sales, [course], name="Fire safety", valid_months=12, window_days=60)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    html = signed_in(world.learner).get(MINE).content.decode()
    assert "Compliant until 1 March 2027. You can renew it from 1 January 2027." in html
    moved_clock.to(dt.date(2027, 3, 10))
    evaluation.evaluate_program(program)
    html = signed_in(world.learner).get(MINE).content.decode()
    assert "Your previous completion was valid until 1 March 2027" in html
    assert "2 March 2026" in html  # the history of the earlier period


# --- the UX review's fixes ------------------------------------------------------------------------------------------


def _ask(program: Program, membership, **fields):  # type: ignore[no-untyped-def]
    from syllabus.compliance.services import exemptions

    data = {"kind": "extension", "extend_to": dt.date(2026, 5, 1), "reason": "On leave"}
    data.update(fields)
    return exemptions.exemption_request(assignment=assignment_of(program, membership), by=membership.user, **data)


def test_a_pending_request_shows_on_my_compliance_with_withdraw_instead_of_a_new_request(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], name="Fire safety")
    client = signed_in(world.learner)
    assert "Request an exemption or extension" in client.get(MINE).content.decode()
    exemption = _ask(program, world.learner)
    html = client.get(MINE).content.decode()
    assert "Your request of 2 March 2026 is waiting for a decision." in html
    assert "Request an exemption or extension" not in html
    withdraw = reverse("compliance:exemption-withdraw", args=[exemption.pk])
    assert f'action="{withdraw}"' in html and f'name="next" value="{MINE}"' in html
    assert reverse("compliance:exemption", args=[exemption.pk]) in html
    # Withdrawing from My compliance comes back to it, and a new request can be made.
    done = client.post(withdraw, {"next": MINE})
    assert done.status_code == 302 and done.url == MINE
    html = client.get(MINE).content.decode()
    assert "is waiting for a decision" not in html and "Request an exemption or extension" in html


def test_my_compliance_reads_pending_requests_in_constant_queries(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    client = signed_in(world.learner)
    _ask(build.program(sales, [course], name="P1"), world.learner)
    client.get(MINE)
    with CaptureQueriesContext(connection) as small:
        client.get(MINE)
    for number in range(2, 6):
        other = make_course(world, f"Course {number}")
        _ask(build.program(sales, [other], name=f"P{number}"), world.learner)
    with CaptureQueriesContext(connection) as large:
        response = client.get(MINE)
    assert response.content.decode().count("is waiting for a decision") == 5
    assert len(large.captured_queries) == len(small.captured_queries)


def test_an_open_renewal_window_says_renew_now_and_shows_the_last_valid_day(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], name="Fire safety", valid_months=12, window_days=60)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.to(dt.date(2027, 1, 15))
    evaluation.evaluate_program(program)
    html = signed_in(world.learner).get(MINE).content.decode()
    assert "Renewal open — complete it again by 1 March 2027." in html
    assert "Renew now: Anti-bribery" in html and 'class="button" href="/courses/' in html
    # The last valid day instead of the old due date, and nothing to ask for while compliant.
    assert "<dt>Valid until</dt>" in html and "1 March 2027" in html
    assert "1 April 2026" not in html and "2 March 2027" not in html
    assert "Request an exemption or extension" not in html
    assert "badge status-compliant" in html


def test_the_history_shows_the_last_valid_day(world: World, build: Builder, sales, course, moved_clock: Clock) -> None:
    program = build.program(sales, [course], name="Fire safety", valid_months=12)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.to(dt.date(2027, 3, 10))
    evaluation.evaluate_program(program)
    response = signed_in(world.learner).get(MINE)
    [(cycle, last_day)] = response.context["history"]
    assert cycle.expires_on == dt.date(2027, 3, 2) and last_day == dt.date(2027, 3, 1)
    assert "Valid until" in response.content.decode()


def test_an_error_on_the_signing_page_moves_the_focus_to_the_summary(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now)
    url = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.learner).pk, done.pk])
    html = signed_in(world.learner).post(url, {"password": "not-it"}).content.decode()
    # The shared script focuses [data-error-summary] when the page loads.
    assert "data-error-summary" in html and "catalog/authoring.js" in html
    assert 'data-error-target="id_password"' in html


def test_the_authenticator_code_is_offered_only_to_people_who_have_one(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    from tests.accounts.security.conftest import enrol, mark_verified

    done = complete(world.learner, course, moved_clock.now)
    url = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.learner).pk, done.pk])
    assert 'autocomplete="one-time-code"' not in signed_in(world.learner).get(url).content.decode()
    client = signed_in(world.learner)
    mark_verified(client, enrol(world.learner.user))
    assert 'autocomplete="one-time-code"' in client.get(url).content.decode()


def test_the_signature_page_writes_the_day_in_words_and_a_score_of_zero(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="0")
    client = signed_in(world.learner)
    url = reverse("compliance:my-sign", args=[assignment_of(signed_program, world.learner).pk, done.pk])
    assert "<dd>0%</dd>" in client.get(url).content.decode()
    signed = client.post(url, {"password": PASSWORD}, follow=True)
    html = signed.content.decode()
    assert ">2 March 2026</time>" in html and "2026-03-02</dd>" not in html
    assert "<dd>0%</dd>" in html
