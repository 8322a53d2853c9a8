"""`manage.py audit_verify`, `manage.py audit_anchor` and the hourly anchoring task."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from syllabus.audit.models import AuditAnchor, AuditRecord
from syllabus.audit.tasks import anchor_chains
from syllabus.celery import app as celery_app
from tests.audit.conftest import CHAINS, RECORDS, sql, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def chains(world):
    for _ in range(4):
        write(world.org, actor=world.org_admin.user)
    write(world.other_org, actor=world.outsider.user)
    write(None)


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def test_audit_verify_says_ok_for_every_intact_chain(chains):
    lines = verify().splitlines()
    assert [line.split(":")[0] for line in lines] == ["OK acme", "OK globex", "OK platform"]
    assert "4 records, head 4" in lines[0]


def test_audit_verify_with_no_records_at_all_is_ok(db):
    assert "no audit records yet" in verify()


def test_audit_verify_reports_each_problem_and_fails(world, chains):
    record = AuditRecord.objects.get(organization=world.org, seq=2)
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", record.pk])
    sql(f"DELETE FROM {RECORDS} WHERE organization_id = %s AND seq = 4", [world.org.pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 audit chain"):
        call_command("audit_verify", stdout=out)
    lines = out.getvalue().splitlines()
    assert "PROBLEM acme seq 2: changed (its content does not match its hash)" in lines
    assert "PROBLEM acme seq 4: truncated (the chain head names records that are gone)" in lines
    assert any(line.startswith("OK globex") for line in lines)


def test_audit_verify_checks_one_organisation(world, chains):
    assert verify("--organization", "globex").startswith("OK globex: 1 records")
    with pytest.raises(CommandError, match="No organisation"):
        verify("--organization", "nope")


def test_audit_verify_checks_against_an_anchor_kept_outside_the_database(world, chains):
    head = AuditRecord.objects.get(organization=world.org, seq=4)
    assert verify("--organization", "acme", "--anchor", f"4:{head.hash}").startswith("OK acme")
    # Truncate and rewrite the head: only the external anchor still knows there were four records.
    sql(f"DELETE FROM {RECORDS} WHERE organization_id = %s AND seq = 4", [world.org.pk])
    third = AuditRecord.objects.get(organization=world.org, seq=3)
    sql(f"UPDATE {CHAINS} SET seq = 3, head_hash = %s WHERE organization_id = %s", [third.hash, world.org.pk])
    assert verify("--organization", "acme").startswith("OK acme")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--organization", "acme", "--anchor", f"4:{head.hash}", stdout=out)
    assert "seq 4: truncated (an external anchor names records that are gone)" in out.getvalue()


def test_audit_verify_refuses_a_malformed_anchor(chains):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        verify("--platform", "--anchor", "four:abc")
    with pytest.raises(CommandError, match="needs --organization"):
        verify("--anchor", f"1:{'0' * 64}")


def test_the_anchor_task_anchors_each_chain_that_grew_and_logs_it(world, chains, caplog):
    with caplog.at_level(logging.INFO, logger="syllabus.audit.services"):
        assert anchor_chains.delay().get() == 3
    anchor = AuditAnchor.objects.get(organization=world.org)
    head = AuditRecord.objects.get(organization=world.org, seq=4)
    assert (anchor.seq, anchor.head_hash) == (4, head.hash)
    assert f"audit.anchor chain=org:{world.org.pk} seq=4 head_hash={head.hash}" in caplog.text


def test_anchoring_is_idempotent(world, chains):
    anchor_chains.delay()
    assert anchor_chains.delay().get() == 0
    write(world.org)
    assert anchor_chains.delay().get() == 1
    assert AuditAnchor.objects.count() == 4


def test_the_anchor_command_does_what_the_task_does(world, chains):
    out = io.StringIO()
    call_command("audit_anchor", stdout=out)
    assert f"anchored org:{world.org.pk} at 4" in out.getvalue()
    out = io.StringIO()
    call_command("audit_anchor", stdout=out)
    assert "Nothing new" in out.getvalue()


def test_beat_anchors_hourly_under_the_registered_task_name():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-anchor"]
    assert entry["task"] == anchor_chains.name == "syllabus.audit.tasks.anchor_chains"
    assert str(entry["schedule"]).startswith("<crontab: 5 * * * *")
    assert anchor_chains.name in celery_app.tasks
