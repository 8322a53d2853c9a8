"""Findings of the security review, each pinned by a test: bounded dates, one program's failure does not stop
the nightly run, the signature check covers every shown field and the audited hash, recovery codes are named,
managers get their own scope through the API, bodies must be objects, and an edit keeps the program's owner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import RequestFactory

from syllabus.compliance import services, tasks
from syllabus.compliance.models import Assignment, Program, Signature
from syllabus.compliance.services import completion_signing, exemptions
from syllabus.compliance.services.signatures import Credentials, digest, signature_check
from tests.accounts.security.conftest import enrol
from tests.api.conftest import V1, TokenClient
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World
from tests.factories import PASSWORD

BASE = f"{V1}/compliance"


def _request() -> HttpRequest:
    request = RequestFactory().post("/compliance/mine/")
    request.session = SessionStore()
    return request


def test_a_fixed_due_date_far_from_today_is_refused_with_its_field(
    world: World, officer, sales, course, build: Builder, moved_clock: Clock
) -> None:
    for day in ("9999-12-31", "0001-01-02"):
        with pytest.raises(ValidationError) as error:
            services.program_create(
                organization=world.org, by=officer.user, data=build.data(sales, [course], due_rule="fixed", due_on=day)
            )
        assert "due_on" in error.value.message_dict


def test_one_failing_program_does_not_stop_the_nightly_run_of_the_others(
    world: World, sales, course, build: Builder, moved_clock: Clock, monkeypatch
) -> None:
    first = build.program(sales, [course], name="A first")
    second = build.program(sales, [course], name="B second")
    from syllabus.compliance import evaluation

    original = evaluation.evaluate_program

    def broken(program, **kwargs):
        if program.pk == first.pk:
            raise RuntimeError("bad data")
        return original(program, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_program", broken)
    moved_clock.move(days=40)
    out = tasks.daily()
    assert out[str(first.pk)] == {"error": 1}
    assert Assignment.objects.get(program=second, membership=world.learner).status == "overdue"


@pytest.fixture
def signature(world: World, build: Builder, sales, course, moved_clock: Clock) -> Signature:
    program = build.program(sales, [course], require_signature=True, signature_meaning="I did it")
    done = complete(world.learner, course, moved_clock.now)
    return completion_signing.completion_sign(
        assignment=Assignment.objects.get(program=program, membership=world.learner),
        completion=done,
        by=world.learner.user,
        request=_request(),
        credentials=Credentials(password=PASSWORD),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"signer_name": "Someone Else"},
        {"meaning": "I did not"},
        {"method": "totp"},
        {"record_id": 999},
        {"signed_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
    ],
)
def test_the_signature_check_catches_a_changed_column(signature: Signature, change) -> None:
    assert signature_check(signature)
    Signature.objects.filter(pk=signature.pk).update(**change)
    assert not signature_check(Signature.objects.get(pk=signature.pk))


def test_the_signature_check_catches_a_payload_rewritten_with_its_hash(signature: Signature) -> None:
    payload = dict(signature.payload)
    payload["record"] = {**payload["record"], "score": "100.00"}
    Signature.objects.filter(pk=signature.pk).update(payload=payload, record_hash=digest(payload))
    # Self-consistent, but not the hash the hash-chained audit trail recorded at signing.
    assert not signature_check(Signature.objects.get(pk=signature.pk))


def test_a_recovery_code_signature_says_so(world: World, build: Builder, sales, course, moved_clock: Clock) -> None:
    program = build.program(sales, [course], require_signature=True, signature_meaning="I did it")
    done = complete(world.learner, course, moved_clock.now)
    enrol(world.learner.user)
    signed = completion_signing.completion_sign(
        assignment=Assignment.objects.get(program=program, membership=world.learner),
        completion=done,
        by=world.learner.user,
        request=_request(),
        credentials=Credentials(code="aaaa1111"),
    )
    assert signed.method == "recovery_code"
    assert signature_check(signed)


def test_an_exemption_end_date_is_bounded(world: World, build: Builder, sales, course, moved_clock: Clock) -> None:
    program = build.program(sales, [course])
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    with pytest.raises(ValidationError) as error:
        exemptions.exemption_request(
            assignment=assignment,
            by=world.learner.user,
            kind="exemption",
            reason="Long leave",
            ends_on=dt.date(9999, 12, 31),
        )
    assert "ends_on" in error.value.message_dict


def test_managers_get_their_own_scope_and_no_drafts_through_the_api(
    world: World, officer, sales, course, build: Builder, as_member: TokenClient, moved_clock: Clock
) -> None:
    active = build.program(sales, [course])
    draft = build.program(sales, [course], name="Draft", activate=False)
    manager = as_member(world.manager)
    rows = manager.get(f"{BASE}/programs/").json()["results"]
    assert [row["id"] for row in rows] == [active.pk]
    assert rows[0]["in_scope"] == 2  # Rita and Ivan, not the whole Sales audience
    assert manager.get(f"{BASE}/programs/{draft.pk}/").status_code == 404
    assert as_member(officer).get(f"{BASE}/programs/{draft.pk}/").status_code == 200


def test_a_body_that_is_not_an_object_is_a_400(
    world: World, officer, sales, course, build: Builder, as_member: TokenClient, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_member(officer)
    assert client.patch(f"{BASE}/programs/{program.pk}/", [1, 2], format="json").status_code == 400
    assert client.post(f"{BASE}/programs/preview/", ["x"], format="json").status_code == 400
    assert client.post(f"{BASE}/programs/", "text", format="json").status_code == 400


def test_an_edit_keeps_the_owner(world: World, officer, sales, course, build: Builder, moved_clock: Clock) -> None:
    program = build.program(sales, [course])
    assert program.owner_id == officer.user.pk
    services.program_update(program=program, by=officer.user, data=build.data(sales, [course], name="Renamed"))
    program.refresh_from_db()
    assert program.owner_id == officer.user.pk and program.name == "Renamed"
    assert Program.objects.get(pk=program.pk).owner_id == officer.user.pk
