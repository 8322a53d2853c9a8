"""Signing completions and acknowledgements: the signer proves who they are again (password or authenticator
code), wrong passwords count towards the lockout, the signature's hash binds the record, and the person's status
follows at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.test import RequestFactory

from syllabus.accounts.security import lockout
from syllabus.audit.models import AuditRecord
from syllabus.compliance.models import Assignment, ProgramAcknowledgement, Signature
from syllabus.compliance.services import acknowledgements, completion_signing
from syllabus.compliance.services.signatures import IDENTITY_FAILED, Credentials, signature_check
from tests.accounts.security.conftest import enrol, totp_code
from tests.compliance.conftest import Builder, Clock, complete
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MEANING = "I completed this training and understood it."
STATEMENT = "I will neither offer nor accept bribes."


def web_request() -> HttpRequest:
    request = RequestFactory().post("/compliance/mine/1/sign/1/")
    request.session = SessionStore()
    return request


def assignment_of(program, membership) -> Assignment:
    return Assignment.objects.select_related("membership__user", "program").get(
        program=program, membership=membership, ended_at__isnull=True
    )


@pytest.fixture
def signed_program(build: Builder, sales, course):
    return build.program(sales, [course], require_signature=True, signature_meaning=MEANING, min_score="80")


@pytest.fixture
def ack_program(build: Builder, sales):
    return build.program(
        sales, [], name="Code of conduct", requirement="acknowledgement", statement=STATEMENT, course_ids=[]
    )


def test_an_unsigned_completion_does_not_count_and_signing_it_makes_the_person_compliant(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="90")
    assignment = assignment_of(signed_program, world.learner)
    assert assignment.status == "due_soon"
    moved_clock.move(days=2)
    signature = completion_signing.completion_sign(
        assignment=assignment,
        completion=done,
        by=world.learner.user,
        request=web_request(),
        credentials=Credentials(password=PASSWORD),
    )
    assert (signature.signer_name, signature.meaning, signature.method) == ("Lena Learner", MEANING, "password")
    assignment.refresh_from_db()
    assert assignment.status == "compliant"
    # It counts from the day it was signed, not the day the course was finished.
    assert assignment.completed_on == moved_clock.today
    assert AuditRecord.objects.filter(action="compliance.completion_signed").count() == 1
    assert AuditRecord.objects.filter(action="compliance.signed").count() == 1


def test_the_signature_covers_the_completion_and_detects_tampering(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="90")
    signature = completion_signing.completion_sign(
        assignment=assignment_of(signed_program, world.learner),
        completion=done,
        by=world.learner.user,
        request=web_request(),
        credentials=Credentials(password=PASSWORD),
    )
    record = signature.payload["record"]
    assert record["course_id"] == course.pk and record["score"] == "90.00"
    assert record["program_id"] == signed_program.pk
    zone = dt.UTC
    assert signature_check(signature, completion_signing.completion_record(done, signed_program, zone))
    # The completion's score changed behind the record's back: the signed record no longer matches.
    done.refresh_from_db()
    assert signature_check(signature, completion_signing.completion_record(done, signed_program, zone))
    done.score = Decimal("99")
    assert not signature_check(signature, completion_signing.completion_record(done, signed_program, zone))
    # The stored payload edited in the database: its hash no longer matches.
    Signature.objects.filter(pk=signature.pk).update(payload={**signature.payload, "meaning": "Something else"})
    signature.refresh_from_db()
    assert not signature_check(signature)


def test_a_wrong_password_signs_nothing_and_counts_towards_the_lockout(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    done = complete(world.learner, course, moved_clock.now, score="90")
    assignment = assignment_of(signed_program, world.learner)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(ValidationError) as raised:
            completion_signing.completion_sign(
                assignment=assignment,
                completion=done,
                by=world.learner.user,
                request=web_request(),
                credentials=Credentials(password="not-my-password"),
            )
        assert raised.value.message_dict == {"password": [IDENTITY_FAILED]}
    assert not Signature.objects.exists()
    assert lockout.lock_state(world.learner.user.email).locked
    # Locked: even the right password signs nothing now.
    with pytest.raises(ValidationError):
        completion_signing.completion_sign(
            assignment=assignment,
            completion=done,
            by=world.learner.user,
            request=web_request(),
            credentials=Credentials(password=PASSWORD),
        )
    assert not Signature.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == "due_soon"


def test_an_authenticator_code_signs_and_a_wrong_one_does_not(
    world: World, signed_program, course, moved_clock: Clock
) -> None:
    device = enrol(world.learner.user)
    done = complete(world.learner, course, moved_clock.now, score="90")
    assignment = assignment_of(signed_program, world.learner)
    with pytest.raises(ValidationError) as raised:
        completion_signing.completion_sign(
            assignment=assignment,
            completion=done,
            by=world.learner.user,
            request=web_request(),
            credentials=Credentials(code="000000" if totp_code(device) != "000000" else "111111"),
        )
    assert "code" in raised.value.message_dict
    # The failure was recorded on the device (django-otp throttles the next tries).
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    signature = completion_signing.completion_sign(
        assignment=assignment,
        completion=done,
        by=world.learner.user,
        request=web_request(),
        credentials=Credentials(code=totp_code(device)),
    )
    assert signature.method == "totp"
    assignment.refresh_from_db()
    assert assignment.status == "compliant"


def test_nobody_signs_for_someone_else(world: World, signed_program, course, moved_clock: Clock) -> None:
    done = complete(world.learner, course, moved_clock.now, score="90")
    with pytest.raises(PermissionDenied):
        completion_signing.completion_sign(
            assignment=assignment_of(signed_program, world.learner),
            completion=done,
            by=world.manager.user,
            request=web_request(),
            credentials=Credentials(password=PASSWORD),
        )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("someone_elses", completion_signing.WRONG_COMPLETION),
        ("low_score", completion_signing.BELOW_MIN_SCORE.format(min_score="80.00")),
        ("other_course", completion_signing.WRONG_COMPLETION),
        ("too_old", completion_signing.TOO_OLD),
    ],
)
def test_only_a_qualifying_completion_of_ones_own_can_be_signed(
    world: World, signed_program, course, moved_clock: Clock, case: str, message: str
) -> None:
    from tests.compliance.conftest import make_course

    if case == "someone_elses":
        done = complete(world.report, course, moved_clock.now, score="90")
    elif case == "low_score":
        done = complete(world.learner, course, moved_clock.now, score="50")
    elif case == "other_course":
        done = complete(world.learner, make_course(world, "Fire safety"), moved_clock.now, score="90")
    else:
        done = complete(world.learner, course, moved_clock.now - dt.timedelta(days=400), score="90")
    with pytest.raises(ValidationError) as raised:
        completion_signing.completion_sign(
            assignment=assignment_of(signed_program, world.learner),
            completion=done,
            by=world.learner.user,
            request=web_request(),
            credentials=Credentials(password=PASSWORD),
        )
    assert raised.value.messages == [message]


def test_a_completion_is_signed_once_per_program(world: World, signed_program, course, moved_clock: Clock) -> None:
    done = complete(world.learner, course, moved_clock.now, score="90")
    assignment = assignment_of(signed_program, world.learner)
    kwargs = {"completion": done, "by": world.learner.user, "credentials": Credentials(password=PASSWORD)}
    completion_signing.completion_sign(assignment=assignment, request=web_request(), **kwargs)
    with pytest.raises(ValidationError) as raised:
        completion_signing.completion_sign(assignment=assignment, request=web_request(), **kwargs)
    assert raised.value.messages == [completion_signing.ALREADY_SIGNED]


def test_signable_completions_lists_what_can_be_signed_in_constant_queries(
    world: World, signed_program, course, moved_clock: Clock, django_assert_max_num_queries
) -> None:
    good = complete(world.learner, course, moved_clock.now, score="90")
    complete(world.learner, course, moved_clock.now, score="10")  # below the minimum
    complete(world.report, course, moved_clock.now, score="95")
    assignments = list(
        Assignment.objects.filter(program=signed_program).select_related("program", "program__organization")
    )
    with django_assert_max_num_queries(3):
        found = completion_signing.signable_completions(assignments)
    learner = assignment_of(signed_program, world.learner)
    assert found[learner.pk] == [good]
    assert len(found) == 2


# --- acknowledgements ---------------------------------------------------------------------------------------------


def test_acknowledging_keeps_the_statement_and_makes_the_person_compliant(
    world: World, ack_program, moved_clock: Clock
) -> None:
    assignment = assignment_of(ack_program, world.learner)
    acknowledgement = acknowledgements.acknowledgement_create(
        assignment=assignment, by=world.learner.user, request=web_request()
    )
    assert acknowledgement.statement == STATEMENT
    assert acknowledgement.statement_digest == acknowledgements.statement_digest(STATEMENT)
    assert acknowledgement.signature_id is None
    assignment.refresh_from_db()
    assert assignment.status == "compliant" and assignment.acknowledgement_id == acknowledgement.pk
    assert AuditRecord.objects.filter(action="compliance.acknowledged").count() == 1
    with pytest.raises(ValidationError) as raised:
        acknowledgements.acknowledgement_create(assignment=assignment, by=world.learner.user, request=web_request())
    assert raised.value.messages == [acknowledgements.ALREADY]


def test_a_signed_acknowledgement_needs_the_password_and_a_failure_leaves_nothing_behind(
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
    assignment = assignment_of(program, world.learner)
    with pytest.raises(ValidationError):
        acknowledgements.acknowledgement_create(
            assignment=assignment,
            by=world.learner.user,
            request=web_request(),
            credentials=Credentials(password="wrong-one"),
        )
    assert not ProgramAcknowledgement.objects.exists()
    assert AccessAttempt.objects.get(username=world.learner.user.email).failures_since_start == 1
    acknowledgement = acknowledgements.acknowledgement_create(
        assignment=assignment, by=world.learner.user, request=web_request(), credentials=Credentials(password=PASSWORD)
    )
    signature = acknowledgement.signature
    assert signature is not None and signature.record_type == "acknowledgement"
    assert signature.meaning == "I agree to comply."
    assert signature_check(signature, acknowledgements.acknowledgement_record(acknowledgement, program))
    assignment.refresh_from_db()
    assert assignment.status == "compliant"


def test_only_the_person_acknowledges_and_only_acknowledgement_programs(
    world: World, ack_program, signed_program, moved_clock: Clock
) -> None:
    with pytest.raises(PermissionDenied):
        acknowledgements.acknowledgement_create(
            assignment=assignment_of(ack_program, world.learner), by=world.manager.user, request=web_request()
        )
    with pytest.raises(ValidationError) as raised:
        acknowledgements.acknowledgement_create(
            assignment=assignment_of(signed_program, world.learner), by=world.learner.user, request=web_request()
        )
    assert raised.value.messages == [acknowledgements.NOT_ACKNOWLEDGEMENT]


def test_a_recurring_acknowledgement_is_renewed_inside_the_window_only(
    world: World, build: Builder, sales, moved_clock: Clock
) -> None:
    from syllabus.compliance import evaluation

    program = build.program(
        sales,
        [],
        name="Yearly code of conduct",
        requirement="acknowledgement",
        statement=STATEMENT,
        valid_months=12,
        window_days=30,
    )
    assignment = assignment_of(program, world.learner)
    acknowledgements.acknowledgement_create(assignment=assignment, by=world.learner.user, request=web_request())
    assignment.refresh_from_db()
    assert assignment.expires_on == dt.date(2027, 3, 2)
    moved_clock.to(dt.date(2026, 12, 1))
    with pytest.raises(ValidationError):
        acknowledgements.acknowledgement_create(assignment=assignment, by=world.learner.user, request=web_request())
    moved_clock.to(dt.date(2027, 2, 20))
    evaluation.evaluate_program(program)
    assignment.refresh_from_db()
    renewed = acknowledgements.acknowledgement_create(
        assignment=assignment, by=world.learner.user, request=web_request()
    )
    assert renewed.cycle == 2
    assignment.refresh_from_db()
    assert assignment.status == "compliant" and assignment.expires_on == dt.date(2028, 2, 20)
