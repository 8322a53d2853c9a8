"""Exemptions and extensions: asked for by the person or their manager, decided (and approvals signed) by another
compliance officer, withdrawn or revoked; the person's status follows at once. Pages and API from the attacker's
side too, with constant query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from syllabus.accounts.models import Membership
from syllabus.audit.models import AuditRecord
from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment, Exemption, Program, Signature, StatusChange
from syllabus.compliance.services import exemptions as svc
from syllabus.compliance.services.signatures import IDENTITY_FAILED, Credentials, signature_check
from tests.accounts.security.conftest import enrol, totp_code
from tests.api.conftest import V1, error_fields, token_for
from tests.compliance.conftest import Builder, Clock, complete, make_audience
from tests.conftest import PASSWORD, World
from tests.factories import MembershipFactory, grant

RIGHT = Credentials(password=PASSWORD)
WRONG = Credentials(password="not-the-password")


def _assignment(program: Program, membership: Membership) -> Assignment:
    return Assignment.objects.get(program=program, membership=membership, ended_at__isnull=True)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def program(world: World, sales, course, build: Builder, moved_clock: Clock) -> Program:
    """Due 30 days after assignment (1 April 2026), for Sales; today is 2 March 2026."""
    return build.program(sales, [course])


@pytest.fixture
def second_officer(world: World) -> Membership:
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Otto Officer")
    grant(person, "compliance_officer")
    return person


def _more_people(world: World, program: Program, count: int) -> list[Membership]:
    """`count` more people in Sales, assigned to the program."""
    from syllabus.audiences import services as audience_services

    people = [MembershipFactory(organization=world.org, org_unit=world.sales) for _ in range(count)]
    audience_services.audience_recompute(audience=program.audience)
    evaluation.evaluate_program(program, membership_ids=[person.pk for person in people])
    return people


def _request(program: Program, membership: Membership, by: Membership, **fields) -> Exemption:  # type: ignore[no-untyped-def]
    data = {"kind": "exemption", "reason": "On parental leave until the summer"}
    data.update(fields)
    return svc.exemption_request(assignment=_assignment(program, membership), by=by.user, **data)


# --- the whole flow ----------------------------------------------------------------------------------------------


def test_an_approved_exemption_makes_the_person_exempt_until_its_end_then_due_again(
    world: World, program: Program, officer: Membership, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    from syllabus.compliance import events
    from syllabus.core.events import subscribe

    seen: list[object] = []
    subscribe(events.ExemptionRequested, seen.append)
    subscribe(events.ExemptionDecided, seen.append)
    with django_capture_on_commit_callbacks(execute=True):
        exemption = _request(program, world.learner, world.learner, ends_on=dt.date(2026, 4, 30))
    assert exemption.state == "pending" and exemption.cycle == 1
    assert _assignment(program, world.learner).status == "due_soon"
    with django_capture_on_commit_callbacks(execute=True):
        svc.exemption_decide(exemption=exemption, by=officer.user, approve=True, note="", credentials=RIGHT)
    exemption.refresh_from_db()
    assert exemption.state == "approved" and exemption.decided_by == officer.user
    assignment = _assignment(program, world.learner)
    assert (assignment.status, assignment.status_until, assignment.exemption_id) == (
        "exempt",
        dt.date(2026, 4, 30),
        exemption.pk,
    )
    assert [type(e).__name__ for e in seen] == ["ExemptionRequested", "ExemptionDecided"]
    assert seen[1].approved is True  # type: ignore[attr-defined]
    # The approval is signed by the officer over the request; the hash binds it.
    signature = exemption.signature
    assert signature is not None and signature.record_type == "exemption" and signature.record_id == exemption.pk
    assert signature.signer_name == "Carla Compliance" and signature.method == "password"
    assert signature.meaning == "I approve this exemption from the compliance program"
    assert signature_check(signature, svc.exemption_record(exemption))
    # The day after the end date, the person is due again (overdue: 1 April has passed).
    moved_clock.to(dt.date(2026, 5, 1))
    evaluation.evaluate_program(program)
    assert _assignment(program, world.learner).status == "overdue"
    ledger = list(
        StatusChange.objects.filter(program=program, membership=world.learner).values_list("effective_on", "status")
    )
    assert ledger == [
        (dt.date(2026, 3, 2), "due_soon"),
        (dt.date(2026, 3, 2), "exempt"),
        (dt.date(2026, 5, 1), "overdue"),
    ]
    actions = set(
        AuditRecord.objects.filter(target_type="compliance.exemption", target_id=str(exemption.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"compliance.exemption_requested", "compliance.exemption_approved"}


def test_an_approved_extension_moves_the_due_date_and_the_status(
    world: World, program: Program, officer: Membership, moved_clock: Clock
) -> None:
    moved_clock.to(dt.date(2026, 4, 10))
    evaluation.evaluate_program(program)
    assert _assignment(program, world.report).status == "overdue"
    exemption = _request(
        program, world.report, world.manager, kind="extension", extend_to=dt.date(2026, 6, 1), reason="Sick leave"
    )
    svc.exemption_decide(exemption=exemption, by=officer.user, approve=True, credentials=RIGHT)
    assignment = _assignment(program, world.report)
    assert (assignment.status, assignment.due_on, assignment.original_due_on) == (
        "not_yet_due",
        dt.date(2026, 6, 1),
        dt.date(2026, 4, 1),
    )
    assert Signature.objects.get(record_type="exemption").meaning == "I approve this extension of the due date"
    moved_clock.to(dt.date(2026, 5, 10))
    evaluation.evaluate_program(program)
    assert _assignment(program, world.report).status == "due_soon"
    moved_clock.to(dt.date(2026, 6, 2))
    evaluation.evaluate_program(program)
    assert _assignment(program, world.report).status == "overdue"


def test_a_declined_request_needs_a_note_and_changes_nothing(
    world: World, program: Program, officer: Membership
) -> None:
    exemption = _request(program, world.learner, world.learner)
    with pytest.raises(ValidationError) as error:
        svc.exemption_decide(exemption=exemption, by=officer.user, approve=False, note="  ")
    assert error.value.message_dict == {"note": [svc.NOTE_REQUIRED]}
    svc.exemption_decide(exemption=exemption, by=officer.user, approve=False, note="Leave ends before the due date")
    exemption.refresh_from_db()
    assert exemption.state == "declined" and exemption.signature is None
    assert _assignment(program, world.learner).status == "due_soon"
    with pytest.raises(ValidationError) as again:
        svc.exemption_decide(exemption=exemption, by=officer.user, approve=True, credentials=RIGHT)
    assert again.value.messages == [svc.NOT_PENDING]


def test_a_wrong_password_signs_nothing_approves_nothing_and_counts_towards_the_lockout(
    world: World, program: Program, officer: Membership
) -> None:
    from axes.models import AccessAttempt

    exemption = _request(program, world.learner, world.learner)
    request = RequestFactory().post("/")
    with pytest.raises(ValidationError) as error:
        svc.exemption_decide(exemption=exemption, by=officer.user, approve=True, credentials=WRONG, request=request)
    assert error.value.message_dict == {"password": [IDENTITY_FAILED]}
    exemption.refresh_from_db()
    assert exemption.state == "pending" and not Signature.objects.exists()
    assert AccessAttempt.objects.filter(username=officer.user.email).get().failures_since_start == 1


def test_an_authenticator_code_signs_an_approval(world: World, program: Program, officer: Membership) -> None:
    device = enrol(officer.user)
    exemption = _request(program, world.learner, world.learner)
    svc.exemption_decide(
        exemption=exemption, by=officer.user, approve=True, credentials=Credentials(code=totp_code(device))
    )
    exemption.refresh_from_db()
    assert exemption.state == "approved" and exemption.signature.method == "totp"


def test_withdrawing_and_revoking(
    world: World, program: Program, officer: Membership, second_officer: Membership, moved_clock: Clock
) -> None:
    exemption = _request(program, world.learner, world.learner)
    with pytest.raises(PermissionDenied):
        svc.exemption_withdraw(exemption=exemption, by=world.manager.user)
    svc.exemption_withdraw(exemption=exemption, by=world.learner.user)
    exemption.refresh_from_db()
    assert exemption.state == "withdrawn"
    # A new one may be asked once the first is no longer pending.
    again = _request(program, world.learner, world.learner)
    svc.exemption_decide(exemption=again, by=officer.user, approve=True, credentials=RIGHT)
    assert _assignment(program, world.learner).status == "exempt"
    moved_clock.to(dt.date(2026, 3, 20))
    with pytest.raises(ValidationError) as error:
        svc.exemption_revoke(exemption=again, by=second_officer.user, reason="")
    assert error.value.message_dict == {"reason": [svc.REVOKE_REASON_REQUIRED]}
    with pytest.raises(PermissionDenied):
        svc.exemption_revoke(exemption=again, by=world.manager.user, reason="Back at work")
    svc.exemption_revoke(exemption=again, by=second_officer.user, reason="Back at work")
    again.refresh_from_db()
    assert again.state == "revoked" and again.decided_by == officer.user  # the signed approval is kept
    assert _assignment(program, world.learner).status == "due_soon"
    ledger = list(
        StatusChange.objects.filter(program=program, membership=world.learner).values_list("effective_on", "status")
    )
    # The past is not rewritten: exempt until the revocation, due soon from that day.
    assert ledger == [
        (dt.date(2026, 3, 2), "due_soon"),
        (dt.date(2026, 3, 2), "exempt"),
        (dt.date(2026, 3, 20), "due_soon"),
    ]


# --- validation and rules ---------------------------------------------------------------------------------------


def test_requests_are_validated_with_messages_per_field(world: World, program: Program, moved_clock: Clock) -> None:
    def refused(**fields) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as error:
            _request(program, world.learner, world.learner, **fields)
        return error.value.message_dict

    assert refused(reason="  ") == {"reason": [svc.REASON_REQUIRED]}
    assert refused(kind="holiday") == {"kind": [svc.KIND_INVALID]}
    assert refused(kind="extension") == {"extend_to": [svc.EXTEND_TO_REQUIRED]}
    assert refused(kind="extension", extend_to=dt.date(2026, 3, 31)) == {
        "extend_to": [svc.EXTEND_TO_NOT_LATER.format(due="2026-04-01")]
    }
    assert refused(kind="extension", extend_to=dt.date(2027, 4, 2)) == {
        "extend_to": [svc.EXTEND_TO_TOO_FAR.format(days=365, last="2027-04-01")]
    }
    assert refused(ends_on=dt.date(2026, 3, 2)) == {"ends_on": [svc.ENDS_ON_PAST]}
    _request(program, world.learner, world.learner, kind="extension", extend_to=dt.date(2027, 4, 1))
    assert refused(kind="extension", extend_to=dt.date(2026, 5, 1)) == {"kind": [svc.PENDING_EXISTS]}
    # The other kind may be asked meanwhile.
    _request(program, world.learner, world.learner)


def test_a_compliant_person_cannot_ask_for_an_extension(
    world: World, program: Program, course, moved_clock: Clock
) -> None:
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    with pytest.raises(ValidationError) as error:
        _request(program, world.learner, world.learner, kind="extension", extend_to=dt.date(2026, 5, 1))
    assert error.value.message_dict == {"kind": [svc.EXTENSION_NOT_DUE.format(status="compliant")]}


def test_four_eyes_an_officer_never_decides_their_own_request_or_about_themselves(
    world: World, sales, course, build: Builder, officer: Membership, second_officer: Membership
) -> None:
    hq = make_audience(world, "Everyone", {"org_unit": world.hq.pk, "include_sub_units": True})
    everyone = build.program(hq, [course], name="Everyone's program")
    own = _request(everyone, officer, officer)
    with pytest.raises(PermissionDenied) as error:
        svc.exemption_decide(exemption=own, by=officer.user, approve=True, credentials=RIGHT)
    assert str(error.value) == svc.FOUR_EYES
    made_by_me = _request(everyone, world.learner, officer)
    with pytest.raises(PermissionDenied):
        svc.exemption_decide(exemption=made_by_me, by=officer.user, approve=True, credentials=RIGHT)
    svc.exemption_decide(exemption=own, by=second_officer.user, approve=True, credentials=RIGHT)
    assert Exemption.objects.get(pk=own.pk).state == "approved"


def test_who_may_ask_and_decide(world: World, program: Program) -> None:
    # A manager asks for their report; a colleague without rights over them may not; nor the outsider.
    _request(program, world.report, world.manager)
    with pytest.raises(PermissionDenied):
        _request(program, world.learner, world.engineer)
    with pytest.raises(PermissionDenied):
        _request(program, world.learner, world.outsider)
    pending = _request(program, world.learner, world.learner)
    for person in (world.manager, world.learner, world.outsider):
        with pytest.raises(PermissionDenied):
            svc.exemption_decide(exemption=pending, by=person.user, approve=False, note="no")
    with pytest.raises(PermissionDenied):
        svc.exemption_revoke(exemption=pending, by=world.learner.user, reason="no")


# --- pages -------------------------------------------------------------------------------------------------------


def _sign_in(client: Client, membership: Membership) -> Client:
    from tests.accounts.security.conftest import act_in

    act_in(client, membership)
    return client


def test_the_learner_asks_on_the_page_and_the_officer_decides_and_signs_on_the_page(
    client: Client, world: World, program: Program, officer: Membership
) -> None:
    assignment = _assignment(program, world.learner)
    page = _sign_in(client, world.learner).get(reverse("compliance:exemption-new") + f"?assignment={assignment.pk}")
    assert page.status_code == 200 and "Anti-bribery 2026" in _text(page)
    refused = client.post(
        reverse("compliance:exemption-new"),
        {"assignment": assignment.pk, "kind": "extension", "extend_to": "2026-03-20", "reason": "Leave"},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["extend_to"] == [svc.EXTEND_TO_NOT_LATER.format(due="2026-04-01")]
    assert 'href="#id_extend_to"' in refused.content.decode()  # the summary links to the field
    sent = client.post(
        reverse("compliance:exemption-new"),
        {"assignment": assignment.pk, "kind": "extension", "extend_to": "2026-05-01", "reason": "Leave"},
    )
    exemption = Exemption.objects.get()
    # Asking about themselves, the learner goes back to My compliance (the page a gated person can use).
    assert sent.status_code == 302 and sent["Location"] == reverse("compliance:mine")
    mine = client.get(reverse("compliance:exemptions"))
    assert [row.exemption.pk for row in mine.context["rows"]] == [exemption.pk]
    assert client.get(reverse("compliance:exemption-decide", args=[exemption.pk])).status_code == 403

    _sign_in(client, officer)
    queue = client.get(reverse("compliance:exemptions"))
    assert queue.context["rows"][0].can_decide
    decide_url = reverse("compliance:exemption-decide", args=[exemption.pk])
    form = client.get(decide_url)
    assert "I approve this extension of the due date" in _text(form)
    wrong = client.post(decide_url, {"decision": "approve", "password": "nope"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["password"] == [IDENTITY_FAILED]
    done = client.post(decide_url, {"decision": "approve", "password": PASSWORD}, follow=True)
    text = _text(done)
    assert "Approved and signed" in text and "Carla Compliance" in text
    assert "I approve this extension of the due date" in text and Signature.objects.get().record_hash in text
    assert "Compliance exemption or extension approved" in text  # the history
    assignment.refresh_from_db()
    assert assignment.due_on == dt.date(2026, 5, 1) and assignment.status == "not_yet_due"

    revoke_url = reverse("compliance:exemption-revoke", args=[exemption.pk])
    empty = client.post(revoke_url, {"reason": ""})
    assert empty.status_code == 200 and "reason" in empty.context["form"].errors
    client.post(revoke_url, {"reason": "Came back early"})
    detail = client.get(reverse("compliance:exemption", args=[exemption.pk]))
    assert "Came back early" in _text(detail) and detail.context["exemption"].state == "revoked"


def test_pages_from_the_attacker_side(client: Client, world: World, program: Program, officer: Membership) -> None:
    exemption = _request(program, world.learner, world.learner)
    detail = reverse("compliance:exemption", args=[exemption.pk])
    new = reverse("compliance:exemption-new") + f"?assignment={exemption.assignment_id}"
    # Another organisation: not found.
    _sign_in(client, world.outsider)
    assert client.get(detail).status_code == 404
    assert client.get(new).status_code == 404
    assert client.get(reverse("compliance:exemptions")).context["rows"] == []
    # A colleague of this organisation without rights over the learner: forbidden.
    _sign_in(client, world.engineer)
    assert client.get(detail).status_code == 403
    assert client.get(new).status_code == 403
    assert client.post(reverse("compliance:exemption-withdraw", args=[exemption.pk])).status_code == 403
    assert client.get(reverse("compliance:exemptions")).context["rows"] == []
    # The learner cannot decide or revoke their own.
    _sign_in(client, world.learner)
    assert client.get(detail).status_code == 200
    assert client.get(reverse("compliance:exemption-decide", args=[exemption.pk])).status_code == 403
    assert client.post(reverse("compliance:exemption-revoke", args=[exemption.pk]), {"reason": "x"}).status_code == 403
    # The manager of someone else's request sees their team's only.
    team = _request(program, world.report, world.manager)
    _sign_in(client, world.manager)
    assert [row.exemption.pk for row in client.get(reverse("compliance:exemptions")).context["rows"]] == [team.pk]
    assert client.get(detail).status_code == 403
    # Anonymous: to the sign-in page.
    client.logout()
    assert client.get(detail).status_code == 302


def test_the_queue_puts_pending_first_filters_and_keeps_a_constant_query_count(
    client: Client, world: World, sales, course, build: Builder, officer: Membership, django_assert_max_num_queries
) -> None:
    program = build.program(sales, [course])
    first = _request(program, world.learner, world.learner)
    svc.exemption_decide(exemption=first, by=officer.user, approve=False, note="No")
    pending = _request(program, world.report, world.manager)
    _sign_in(client, officer)
    rows = client.get(reverse("compliance:exemptions")).context["rows"]
    assert [row.exemption.pk for row in rows] == [pending.pk, first.pk]
    declined = client.get(reverse("compliance:exemptions"), {"state": "declined", "program": program.pk})
    assert [row.exemption.pk for row in declined.context["rows"]] == [first.pk]
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("compliance:exemptions"))
    for index, person in enumerate(_more_people(world, program, 12)):
        _request(program, person, officer, reason=f"Reason {index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("compliance:exemptions"))
    assert len(response.context["rows"]) == 14


# --- API ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


def test_the_api_asks_decides_withdraws_and_revokes(
    api, world: World, program: Program, officer: Membership, second_officer: Membership
) -> None:
    base = f"{V1}/compliance/exemptions/"
    assignment = _assignment(program, world.learner)
    learner = api(world.learner)
    bad = learner.post(base, {"assignment": assignment.pk, "kind": "extension", "reason": "Leave"}, format="json")
    assert bad.status_code == 400 and error_fields(bad) == {"extend_to": svc.EXTEND_TO_REQUIRED}
    created = learner.post(
        base,
        {"assignment": assignment.pk, "kind": "extension", "extend_to": "2026-05-01", "reason": "Leave"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "pending" and created.json()["person"]["display_name"] == "Lena Learner"
    assert learner.post(f"{base}{pk}/decide/", {"approve": False, "note": "x"}, format="json").status_code == 403
    officer_api = api(officer)
    wrong = officer_api.post(f"{base}{pk}/decide/", {"approve": True, "password": "nope"}, format="json")
    assert wrong.status_code == 400 and error_fields(wrong) == {"password": IDENTITY_FAILED}
    approved = officer_api.post(f"{base}{pk}/decide/", {"approve": True, "password": PASSWORD}, format="json")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["state"] == "approved" and body["signature"]["signer_name"] == "Carla Compliance"
    assert _assignment(program, world.learner).due_on == dt.date(2026, 5, 1)
    revoked = api(second_officer).post(f"{base}{pk}/revoke/", {"reason": "Back"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert _assignment(program, world.learner).due_on == dt.date(2026, 4, 1)
    other = learner.post(
        base, {"assignment": assignment.pk, "kind": "exemption", "reason": "Leave"}, format="json"
    ).json()["id"]
    assert api(world.manager).post(f"{base}{other}/withdraw/").status_code == 403
    withdrawn = learner.post(f"{base}{other}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    listed = officer_api.get(base, {"state": "withdrawn"})
    assert [row["id"] for row in listed.json()["results"]] == [other]


def test_the_api_from_the_attacker_side_and_its_query_count(
    api, world: World, program: Program, officer: Membership, django_assert_max_num_queries
) -> None:
    base = f"{V1}/compliance/exemptions/"
    exemption = _request(program, world.learner, world.learner)
    outsider = api(world.outsider)
    assert outsider.get(f"{base}{exemption.pk}/").status_code == 404
    assert outsider.get(base).json()["results"] == []
    foreign = outsider.post(
        base, {"assignment": exemption.assignment_id, "kind": "exemption", "reason": "x"}, format="json"
    )
    assert foreign.status_code == 400 and "assignment" in error_fields(foreign)
    engineer = api(world.engineer)
    assert engineer.get(f"{base}{exemption.pk}/").status_code == 403
    assert engineer.get(base).json()["results"] == []
    assert (
        engineer.post(
            base, {"assignment": exemption.assignment_id, "kind": "exemption", "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    officer_api = api(officer)
    with django_assert_max_num_queries(20) as small:
        assert len(officer_api.get(base).json()["results"]) == 1
    for index, person in enumerate(_more_people(world, program, 10)):
        _request(program, person, officer, reason=f"Reason {index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(officer_api.get(base).json()["results"]) == 11


# --- the UX review's fixes ------------------------------------------------------------------------------------------


def test_the_person_asking_for_themselves_goes_back_to_my_compliance_and_others_to_the_queue(
    client: Client, world: World, program: Program
) -> None:
    assignment = _assignment(program, world.learner)
    new_url = reverse("compliance:exemption-new") + f"?assignment={assignment.pk}"
    own = _sign_in(client, world.learner).get(new_url)
    assert own.context["back_url"] == reverse("compliance:mine")
    assert "Back to My compliance" in _text(own)
    # Only the date of the kind chosen is shown (exemption_form.js; both without JavaScript).
    html = own.content.decode()
    assert "compliance/exemption_form.js" in html and "data-exemption-form" in html
    assert 'data-for-kind="extension"' in html and 'data-for-kind="exemption"' in html
    exemption = _request(program, world.learner, world.learner)
    detail = client.get(reverse("compliance:exemption", args=[exemption.pk]))
    assert "Back to My compliance" in _text(detail)
    manager = _sign_in(Client(), world.manager)
    theirs = manager.get(reverse("compliance:exemption-new") + f"?assignment={_assignment(program, world.report).pk}")
    assert theirs.context["back_url"] == reverse("compliance:exemptions")
    sent = manager.post(
        reverse("compliance:exemption-new"),
        {"assignment": _assignment(program, world.report).pk, "kind": "exemption", "reason": "Leave"},
    )
    asked = Exemption.objects.get(membership=world.report)
    assert sent["Location"] == reverse("compliance:exemption", args=[asked.pk])
    assert "Back to exemptions and extensions" in _text(manager.get(sent["Location"]))


def test_withdrawing_returns_to_a_local_next_page_only(client: Client, world: World, program: Program) -> None:
    exemption = _request(program, world.learner, world.learner)
    _sign_in(client, world.learner)
    url = reverse("compliance:exemption-withdraw", args=[exemption.pk])
    away = client.post(url, {"next": "https://evil.example/"})
    assert away["Location"] == reverse("compliance:exemption", args=[exemption.pk])
    exemption.refresh_from_db()
    assert exemption.state == "withdrawn"
    again = _request(program, world.learner, world.learner)
    back = client.post(reverse("compliance:exemption-withdraw", args=[again.pk]), {"next": reverse("compliance:mine")})
    assert back["Location"] == reverse("compliance:mine")


def test_the_decision_page_offers_the_authenticator_code_only_to_officers_who_have_one(
    client: Client, world: World, program: Program, officer: Membership
) -> None:
    from tests.accounts.security.conftest import mark_verified

    exemption = _request(program, world.learner, world.learner)
    url = reverse("compliance:exemption-decide", args=[exemption.pk])
    page = _sign_in(client, officer).get(url)
    assert "code" not in page.context["form"].fields and 'autocomplete="one-time-code"' not in page.content.decode()
    mark_verified(client, enrol(officer.user))
    page = client.get(url)
    assert "code" in page.context["form"].fields and 'autocomplete="one-time-code"' in page.content.decode()
