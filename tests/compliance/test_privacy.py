"""A person's compliance record in privacy exports, and what erasure keeps (everything but their name)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from syllabus.accounts.models import Membership
from syllabus.accounts.privacy import ERASED_NAME
from syllabus.audit.models import AuditRecord
from syllabus.compliance import evaluation, privacy
from syllabus.compliance.models import (
    Assignment,
    Exemption,
    Program,
    ProgramAcknowledgement,
    StatusChange,
)
from syllabus.compliance.services.signatures import Credentials, signature_check, signature_create
from syllabus.core import clock
from syllabus.core import privacy as registry
from tests.compliance.conftest import Builder, Clock
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

STATEMENT = "I will not offer or accept bribes."


@pytest.fixture
def history(world: World, build: Builder, sales, officer: Membership, moved_clock: Clock):
    """Lena acknowledged (signed) the statement; an approved extension and a pending exemption request about
    her; a signature of the officer approving the extension."""
    program = build.program(
        sales,
        requirement="acknowledgement",
        statement=STATEMENT,
        require_signature=True,
        signature_meaning="I have read and understood this.",
    )
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    moved_clock.move(days=3)
    ack = ProgramAcknowledgement.objects.create(
        organization=world.org,
        program=program,
        assignment=assignment,
        membership=world.learner,
        cycle=assignment.cycle,
        statement=STATEMENT,
        statement_digest=hashlib.sha256(STATEMENT.encode()).hexdigest(),
        acknowledged_at=clock.now(),
    )
    signature = signature_create(
        request=None,
        user=world.learner.user,
        membership=world.learner,
        meaning=program.signature_meaning,
        record_type="acknowledgement",
        record_id=ack.pk,
        record={"statement_sha256": ack.statement_digest, "program_id": program.pk},
        credentials=Credentials(password=PASSWORD),
        program=program,
    )
    ProgramAcknowledgement.objects.filter(pk=ack.pk).update(signature=signature)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    other = build.program(
        sales, name="Data protection", due_days=10, requirement="acknowledgement", statement="I protect data."
    )
    other_assignment = Assignment.objects.get(program=other, membership=world.learner)
    Exemption.objects.create(
        organization=world.org,
        program=other,
        assignment=other_assignment,
        membership=world.learner,
        kind=Exemption.Kind.EXTENSION,
        cycle=1,
        reason="Back from leave next week.",
        extend_to=moved_clock.today + dt.timedelta(days=30),
        state=Exemption.State.APPROVED,
        requested_by=world.learner.user,
        requested_at=clock.now(),
        decided_by=officer.user,
        decided_at=clock.now(),
        decision_note="Fine.",
    )
    Exemption.objects.create(
        organization=world.org,
        program=other,
        assignment=other_assignment,
        membership=world.learner,
        kind=Exemption.Kind.EXEMPTION,
        cycle=1,
        reason="My doctor says I should not do this yet.",
        requested_by=world.learner.user,
        requested_at=clock.now(),
    )
    return program, other, signature


def test_export_lists_assignments_cycles_ledger_acknowledgements_exemptions_and_signatures(world: World, history):
    program, other, signature = history
    exported = privacy.export_person(world.learner.user, world.org)
    assert {a["program"] for a in exported["assignments"]} == {program.name, other.name}
    mine = next(a for a in exported["assignments"] if a["program"] == program.name)
    assert mine["status"] == "compliant" and mine["status_label"] == "Compliant"
    assert mine["completed_on"] == "2026-03-05"
    assert [row["status"] for row in exported["status_changes"] if row["program"] == program.name] == [
        "due_soon",  # 30 days to go, "due soon" from 30 days before
        "compliant",
    ]
    (ack,) = exported["acknowledgements"]
    assert ack["statement"] == STATEMENT and ack["signed"] is True
    assert sorted(e["state"] for e in exported["exemptions"]) == ["approved", "pending"]
    assert {e["decided_by"] for e in exported["exemptions"]} == {"Carla Compliance", None}
    (signed,) = exported["signatures"]
    assert signed["signer_name"] == world.learner.user.display_name
    assert signed["record_type"] == "acknowledgement" and signed["record_sha256"] == signature.record_hash
    assert "payload" not in signed
    # Another organisation holds nothing of hers.
    assert privacy.export_person(world.learner.user, world.other_org) == {
        "assignments": [],
        "cycles": [],
        "status_changes": [],
        "acknowledgements": [],
        "exemptions": [],
        "signatures": [],
    }
    # Someone else's export does not include her rows.
    theirs = privacy.export_person(world.report.user, world.org)
    assert theirs["acknowledgements"] == [] and theirs["signatures"] == [] and theirs["exemptions"] == []


def test_compliance_is_in_the_registry_export_when_registered(world: World, history):
    registered = any(p.app_label == "compliance" for p in registry.providers())
    if not registered:
        registry.register("compliance", export=privacy.export_person, erase=privacy.erase_person)
    try:
        assert "compliance" in registry.export_person(world.learner.user, world.org)
    finally:
        if not registered:
            registry.unregister("compliance")


def test_erasure_keeps_the_record_pseudonymises_signatures_and_withdraws_pending_requests(
    world: World, history, django_capture_on_commit_callbacks
):
    program, other, signature = history
    ledger_before = StatusChange.objects.filter(membership=world.learner).count()
    old_hash = signature.record_hash
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        privacy.erase_person(world.learner.user, world.org_admin.user)
    signature.refresh_from_db()
    assert signature.signer_name == ERASED_NAME and signature.ip_address is None
    assert signature.payload["signer"]["name"] == ERASED_NAME
    assert world.learner.user.display_name not in str(signature.payload)
    assert signature.record_hash != old_hash and signature_check(signature)
    audit = AuditRecord.objects.filter(action="compliance.signature_pseudonymised").get()
    assert audit.before == {"record_hash": old_hash} and audit.after == {"record_hash": signature.record_hash}
    states = dict(Exemption.objects.filter(membership=world.learner).values_list("kind", "state"))
    assert states == {"extension": "approved", "exemption": "withdrawn"}
    withdrawn = Exemption.objects.get(membership=world.learner, kind="exemption")
    assert withdrawn.reason == "" and withdrawn.decision_note == privacy.ERASED_REASON
    assert Exemption.objects.get(membership=world.learner, kind="extension").reason == "Back from leave next week."
    # The record stays whole.
    assert ProgramAcknowledgement.objects.filter(membership=world.learner).count() == 1
    assert StatusChange.objects.filter(membership=world.learner).count() == ledger_before
    # After commit (accounts has deactivated the membership by then) the open assignments end.
    Membership.objects.filter(pk=world.learner.pk).update(is_active=False)
    for callback in callbacks:
        callback()
    assert not Assignment.objects.filter(membership=world.learner, ended_at__isnull=True).exists()
    assert set(
        StatusChange.objects.filter(membership=world.learner, status="unassigned").values_list("program", flat=True)
    ) == {program.pk, other.pk}
    assert Program.objects.count() == 2
