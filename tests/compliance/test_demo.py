"""`manage.py seed_demo`, the compliance part: two programs with people in every status, idempotent."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from syllabus.compliance import demo as compliance_demo
from syllabus.compliance.models import (
    Assignment,
    ClosedCycle,
    Exemption,
    Program,
    ProgramAcknowledgement,
    Signature,
    StatusChange,
)
from syllabus.compliance.services.exemptions import exemption_record
from syllabus.compliance.services.signatures import signature_check
from syllabus.core import demo
from syllabus.progress.models import Completion

pytestmark = pytest.mark.django_db

MODELS = (Program, Assignment, ClosedCycle, StatusChange, ProgramAcknowledgement, Exemption, Signature, Completion)


@pytest.fixture(autouse=True)
def media_and_fast_hashing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def registered():
    """The step as ComplianceConfig.ready() registers it (added there by the lead; harmless when it is)."""
    already = any(step.name == "compliance" for step in demo.steps())
    if not already:
        demo.register("compliance", compliance_demo.seed_compliance)
    yield
    if not already:
        demo.unregister("compliance")


@pytest.fixture(autouse=True)
def steps_through_compliance() -> Iterator[None]:
    """seed_demo with the steps up to compliance's (each seed of the whole demo costs seconds more)."""
    with demo.only(*demo.through("compliance")):
        yield


def run() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def statuses(name: str) -> dict[str, str]:
    return dict(
        Assignment.objects.filter(program__name=name, ended_at__isnull=True).values_list(
            "membership__user__email", "status"
        )
    )


def test_the_step_runs_after_progress():
    names = [step.name for step in demo.steps()]
    assert names.index("progress") < names.index("compliance")


def test_two_programs_with_people_in_every_status(moved_clock):
    out = run()
    assert "compliance program Fire safety" in out
    bribery = statuses(compliance_demo.ANTI_BRIBERY)
    assert bribery[compliance_demo.ELEANOR] == "compliant"
    assert bribery[compliance_demo.PRIYA] == "compliant"
    assert bribery[compliance_demo.AMELIA] == "overdue"
    assert bribery[compliance_demo.TOMASZ] == "due_soon"
    assert bribery[compliance_demo.GRACE] == "exempt"
    assert bribery[compliance_demo.LIAM] == "overdue"
    assert "not_yet_due" in bribery.values()  # the managers assigned today
    fire = statuses(compliance_demo.FIRE_SAFETY)
    assert fire[compliance_demo.RAJESH] == "expired"
    assert fire[compliance_demo.ZARA] == "compliant"
    assert fire[compliance_demo.LUCY] == "compliant"
    assert fire[compliance_demo.JACK] == "overdue"
    assert fire[compliance_demo.KWAME] == "due_soon"
    assert fire[compliance_demo.HARRIET] == "due_soon"
    assert "not_yet_due" in fire.values()
    everything = set(bribery.values()) | set(fire.values())
    assert {"not_yet_due", "due_soon", "overdue", "compliant", "expired", "exempt"} <= everything


def test_the_story_details(moved_clock):
    run()
    today = moved_clock.today
    fire = Program.objects.get(name=compliance_demo.FIRE_SAFETY)
    assert fire.require_signature and fire.gating and fire.valid_months == 12 and fire.window_days == 60
    zara = Assignment.objects.get(program=fire, membership__user__email=compliance_demo.ZARA)
    assert zara.expires_on is not None and zara.expires_on - dt.timedelta(days=60) <= today < zara.expires_on
    rajesh = Assignment.objects.get(program=fire, membership__user__email=compliance_demo.RAJESH)
    assert rajesh.cycle == 2
    assert ClosedCycle.objects.filter(assignment=rajesh, number=1, completed_on__isnull=False).exists()
    # The ledger was replayed from the day Rajesh was assigned: assigned, compliant, (recertification due soon),
    # expired, each on its day.
    ledger = list(StatusChange.objects.filter(assignment=rajesh).values_list("status", "effective_on"))
    assert ledger[0] == ("not_yet_due", today - dt.timedelta(days=420))
    assert ("compliant", today - dt.timedelta(days=395)) in ledger
    assert ledger[-1] == ("expired", rajesh.status_since)
    kwame = Assignment.objects.get(program=fire, membership__user__email=compliance_demo.KWAME)
    assert kwame.original_due_on is not None and kwame.due_on == today + dt.timedelta(days=10)
    # Harriet completed the course but has not signed: it does not count yet.
    harriet = Assignment.objects.get(program=fire, membership__user__email=compliance_demo.HARRIET)
    assert harriet.completed_on is None
    assert Completion.objects.filter(membership=harriet.membership, course__title=compliance_demo.FIRE_SAFETY_COURSE)
    assert not Signature.objects.filter(membership=harriet.membership, record_type="completion").exists()
    states = dict(Exemption.objects.values_list("membership__user__email", "state"))
    assert states[compliance_demo.GRACE] == "approved"
    assert states[compliance_demo.LIAM] == "pending"
    assert states[compliance_demo.KWAME] == "approved"
    signatures = list(Signature.objects.all())
    assert {s.record_type for s in signatures} == {"completion", "exemption"}
    assert all(signature_check(s) for s in signatures)
    approved = Exemption.objects.filter(state="approved").select_related("signature", "decided_by")
    assert all(e.signature is not None and e.signature.user_id == e.decided_by_id for e in approved)
    # Rebuilt the way the exemption pages rebuild it, the signed record still matches.
    assert all(signature_check(e.signature, exemption_record(e)) for e in approved)


def test_seeding_twice_changes_nothing(moved_clock):
    run()
    first = counts()
    assert first["Program"] == 2
    assert "Demo data already present" in run()
    assert counts() == first
