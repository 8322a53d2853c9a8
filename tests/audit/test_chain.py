"""The hash chain: appends link and serialise; every kind of tampering is detected; erasure keeps it valid.

Tampering goes around the models, as a database user would: raw SQL, or the base QuerySet methods that the
append-only manager refuses.
"""

from __future__ import annotations

import itertools
import threading
import uuid

import pytest
from django.db import connection, models
from django.db.models import QuerySet

from syllabus.audit import chain as hashing
from syllabus.audit import services
from syllabus.audit.models import AppendOnlyError, AuditAnchor, AuditChain, AuditPersonal, AuditRecord, AuditSubject
from syllabus.audit.selectors import audit_rows
from syllabus.audit.verification import CHANGED, DELETED, INSERTED, TRUNCATED, verify_organization
from tests.audit.conftest import CHAINS, RECORDS, chain_records, from_ip, sql, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten(world):
    """Ten records in Acme's chain, written by the org admin."""
    for number in range(10):
        write(world.org, actor=world.org_admin.user, after={"n": number})
    return chain_records(world.org)


def kinds(organization) -> list[tuple[str, int, int]]:
    report = verify_organization(organization)
    return [(problem.kind, problem.first_seq, problem.last_seq) for problem in report.problems]


def rehash(record: AuditRecord, *, prev_hash: str | None = None) -> str:
    """The hash an attacker who knows the algorithm would compute for the record as it now is."""
    record.refresh_from_db()
    prev = prev_hash if prev_hash is not None else record.prev_hash
    return hashing.link_hash(services.record_payload(record, chain_key=record.chain.key), prev)


# --- appending ------------------------------------------------------------------------------------------


def test_each_record_carries_the_hash_of_the_one_before_it(ten):
    assert [record.seq for record in ten] == list(range(1, 11))
    assert ten[0].prev_hash == hashing.GENESIS_HASH
    for previous, record in itertools.pairwise(ten):
        assert record.prev_hash == previous.hash
        assert record.hash == rehash(record)


def test_the_chain_head_names_the_last_record(world, ten):
    head = AuditChain.objects.get(organization=world.org)
    assert (head.seq, head.head_hash) == (10, ten[-1].hash)


def test_each_organisation_has_its_own_chain_starting_at_one(world, ten):
    record = write(world.other_org, actor=world.outsider.user)
    assert record.seq == 1
    assert record.prev_hash == hashing.GENESIS_HASH
    assert verify_organization(world.org).ok and verify_organization(world.other_org).ok


def test_records_hold_subject_ids_never_names_or_emails(world):
    record = write(world.org, actor=world.org_admin.user, target=world.learner)
    columns = [getattr(record, field.attname) for field in AuditRecord._meta.concrete_fields]
    assert not any(world.learner.user.email in str(value) for value in columns)
    assert not any("Lena Learner" in str(value) for value in columns)
    assert AuditSubject.objects.get(subject_id=record.target_subject).user == world.learner.user
    assert record.target_type == "accounts.membership"
    assert record.target_id == str(world.learner.pk)


def test_ip_address_and_browser_go_to_the_actors_erasable_part(world):
    with from_ip("203.0.113.9"):
        record = write(world.org, actor=world.org_admin.user, target=world.learner)
    part = AuditPersonal.objects.get(record=record)
    assert part.subject_id == record.actor_subject
    assert part.data["ip_address"] == "203.0.113.9"
    assert "203.0.113.9" not in str(record.personal_digests)
    assert record.personal_digests == {str(part.subject_id): hashing.part_digest(part.salt, part.data)}


def test_a_racing_append_cannot_reuse_a_sequence_number(world, ten, monkeypatch):
    # Simulate a writer whose view of the head is stale (what the row lock prevents on PostgreSQL and IMMEDIATE
    # transactions prevent on SQLite): the unique (chain, seq) constraint and the compare-and-swap on the head
    # turn it into a retry, never into two records with one seq or a fork.
    stale = AuditChain.objects.get(organization=world.org)
    racer = write(world.org, action="test.racer")
    original, calls = services._locked_chain, []

    def stale_first(organization):
        calls.append(organization)
        return stale if len(calls) == 1 else original(organization)

    monkeypatch.setattr(services, "_locked_chain", stale_first)
    record = write(world.org, action="test.slow")
    assert (racer.seq, record.seq, len(calls)) == (11, 12, 2)
    assert kinds(world.org) == []


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's shared-cache test database refuses concurrent writers instead of queueing them",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_threads_get_distinct_sequence_numbers(builtin_roles, world):
    errors: list[BaseException] = []

    def appender() -> None:
        try:
            for _ in range(10):
                write(world.org, action="test.thread")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=appender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [record.seq for record in chain_records(world.org)] == list(range(1, 41))
    assert kinds(world.org) == []


# --- append-only ----------------------------------------------------------------------------------------


def test_records_refuse_to_be_saved_again_or_deleted(ten):
    record = ten[3]
    record.action = "test.forged"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


def test_the_manager_refuses_bulk_updates_and_deletes(ten):
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(seq=2).update(action="test.forged")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(seq=2).delete()
    with pytest.raises(AppendOnlyError):
        AuditAnchor.objects.all().delete()


# --- tampering is detected ------------------------------------------------------------------------------


def test_an_edited_record_is_reported_as_changed(world, ten):
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", ten[4].pk])
    assert kinds(world.org) == [(CHANGED, 5, 5)]


def test_an_edit_through_the_base_queryset_is_reported_as_changed(world, ten):
    QuerySet.update(AuditRecord.objects.filter(pk=ten[2].pk), after={"n": 999})
    assert kinds(world.org) == [(CHANGED, 3, 3)]


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(world, ten):
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", ten[4].pk])
    sql(f"UPDATE {RECORDS} SET hash = %s WHERE id = %s", [rehash(ten[4]), ten[4].pk])
    assert kinds(world.org) == [(CHANGED, 5, 5)]


def test_a_deleted_record_is_reported(world, ten):
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [ten[6].pk])
    assert kinds(world.org) == [(DELETED, 7, 7)]


def test_a_deletion_hidden_by_renumbering_is_reported(world, ten):
    sql(f"DELETE FROM {RECORDS} WHERE id = %s", [ten[6].pk])
    # Close the gap (two steps: PostgreSQL checks the unique constraint row by row).
    sql(f"UPDATE {RECORDS} SET seq = seq + 1000 WHERE chain_id = %s AND seq > 7", [ten[0].chain_id])
    sql(f"UPDATE {RECORDS} SET seq = seq - 1001 WHERE chain_id = %s AND seq > 1000", [ten[0].chain_id])
    sql(f"UPDATE {CHAINS} SET seq = 9 WHERE id = %s", [ten[0].chain_id])
    problems = kinds(world.org)
    assert problems[0] == (DELETED, 7, 9)
    assert {kind for kind, _, _ in problems} == {DELETED}


def test_a_record_inserted_after_the_head_is_reported(world, ten):
    forged = AuditRecord(
        chain=ten[0].chain,
        organization=world.org,
        seq=11,
        created_at=ten[-1].created_at,
        action="test.forged",
        prev_hash=ten[-1].hash,
    )
    forged.hash = hashing.link_hash(services.record_payload(forged, chain_key=forged.chain.key), forged.prev_hash)
    models.Model.save(forged, force_insert=True)
    assert kinds(world.org) == [(INSERTED, 11, 11)]


def test_a_record_inserted_in_the_middle_is_reported(world, ten):
    chain_id = ten[0].chain_id
    sql(f"UPDATE {RECORDS} SET seq = seq + 1000 WHERE chain_id = %s AND seq >= 4", [chain_id])
    sql(f"UPDATE {RECORDS} SET seq = seq - 999 WHERE chain_id = %s AND seq > 1000", [chain_id])
    forged = AuditRecord(
        chain=ten[0].chain,
        organization=world.org,
        seq=4,
        created_at=ten[2].created_at,
        action="test.forged",
        prev_hash=ten[2].hash,
    )
    forged.hash = hashing.link_hash(services.record_payload(forged, chain_key=forged.chain.key), forged.prev_hash)
    models.Model.save(forged, force_insert=True)
    sql(f"UPDATE {CHAINS} SET seq = 11 WHERE id = %s", [chain_id])
    problems = kinds(world.org)
    assert problems[0] == (INSERTED, 4, 4)
    assert (INSERTED, 5, 11) in problems  # the records renumbered to make room


def test_a_truncated_chain_is_reported_against_its_head(world, ten):
    sql(f"DELETE FROM {RECORDS} WHERE chain_id = %s AND seq >= 9", [ten[0].chain_id])
    assert kinds(world.org) == [(TRUNCATED, 9, 10)]


def test_a_truncation_with_a_rewritten_head_is_caught_by_an_anchor(world, ten):
    services.audit_anchor_all()
    sql(f"DELETE FROM {RECORDS} WHERE chain_id = %s AND seq >= 9", [ten[0].chain_id])
    sql(f"UPDATE {CHAINS} SET seq = 8, head_hash = %s WHERE id = %s", [ten[7].hash, ten[0].chain_id])
    assert kinds(world.org) == [(TRUNCATED, 9, 10)]


def test_a_rewritten_tail_is_caught_by_the_anchor_it_contradicts(world, ten):
    services.audit_anchor_all()
    # The attacker edits record 10 and recomputes its hash and the head: only the anchor still knows better.
    sql(f"UPDATE {RECORDS} SET action = %s WHERE id = %s", ["test.innocent", ten[9].pk])
    new_hash = rehash(ten[9])
    sql(f"UPDATE {RECORDS} SET hash = %s WHERE id = %s", [new_hash, ten[9].pk])
    sql(f"UPDATE {CHAINS} SET head_hash = %s WHERE id = %s", [new_hash, ten[0].chain_id])
    assert kinds(world.org) == [(CHANGED, 10, 10)]


def test_a_record_moved_to_another_organisation_is_reported(world, ten):
    sql(f"UPDATE {RECORDS} SET organization_id = %s WHERE id = %s", [world.other_org.pk, ten[1].pk])
    assert (CHANGED, 2, 2) in kinds(world.org)


def test_changed_or_removed_personal_data_is_reported_while_the_person_is_not_erased(world):
    with from_ip("198.51.100.7"):
        first = write(world.org, actor=world.org_admin.user)
        second = write(world.org, actor=world.org_admin.user)
    QuerySet.update(AuditPersonal.objects.filter(record=first), data={"ip_address": "192.0.2.1"})
    AuditPersonal.objects.filter(record=second).delete()
    assert kinds(world.org) == [(CHANGED, 1, 1), (CHANGED, 2, 2)]


# --- erasure ----------------------------------------------------------------------------------------------


def test_erasing_a_person_keeps_the_chain_valid_and_hides_their_name(world):
    learner = world.learner.user
    with from_ip("198.51.100.7"):
        write(world.org, actor=learner, action="auth.signed_in", target=learner)
        write(
            world.org,
            actor=world.org_admin.user,
            action="membership.changed",
            target=world.learner,
            personal_before={"employee_id": "E-1"},
            personal_after={"employee_id": "E-2"},
        )
    services.subjects_erase(learner, world.org_admin.user)

    assert verify_organization(world.org).ok
    rows = audit_rows(chain_records(world.org))
    assert [row.actor for row in rows] == ["Erased person", "Olivia Admin"]
    assert [row.target for row in rows] == ["Erased person", "Erased person"]
    assert "E-1" not in str([row.before for row in rows])
    assert rows[0].ip_address == ""  # the learner's own address went with them
    assert rows[1].ip_address == "198.51.100.7"  # the admin's stays
    assert not AuditSubject.objects.filter(user=learner).exists()


def test_a_subject_is_created_once_per_person_and_follows_their_name(world):
    write(world.org, actor=world.learner.user)
    world.learner.user.display_name = "Lena Renamed"
    world.learner.user.save()
    record = write(world.org, actor=world.learner.user)
    assert AuditSubject.objects.filter(user=world.learner.user).count() == 1
    assert audit_rows([record])[0].actor == "Lena Renamed"


def test_an_unknown_subject_id_reads_as_erased(world):
    record = write(world.org)
    assert audit_rows([record])[0].actor == "System"
    stranger = services.audit_record_for_subjects(
        organization=world.org, action="test.x", actor_subject=uuid.uuid4(), target=None, target_subject=None
    )
    assert audit_rows([stranger])[0].actor == "Erased person"


def test_bulk_operations_write_one_summary_record_with_a_digest_of_the_ids(world):
    ids = [world.learner.pk, world.engineer.pk, world.report.pk]
    record = services.audit_record_bulk(
        organization=world.org,
        action="people.imported",
        actor=world.org_admin.user,
        target_type="accounts.membership",
        ids=ids,
        details={"mode": "full_sync"},
    )
    assert AuditRecord.objects.filter(organization=world.org).count() == 1
    assert record.summary == {"count": 3, "ids_digest": hashing.ids_digest(reversed(ids)), "mode": "full_sync"}
    assert verify_organization(world.org).ok


def test_garbage_written_into_a_record_is_reported_not_a_crash(world, ten):
    QuerySet.update(AuditRecord.objects.filter(pk=ten[0].pk), personal_digests=["not", "a", "map"])
    QuerySet.update(AuditRecord.objects.filter(pk=ten[1].pk), personal_digests={"not-a-uuid": "x"})
    assert kinds(world.org) == [(CHANGED, 1, 2)]


def test_personal_values_without_a_person_to_keep_them_with_are_withheld(world):
    record = write(
        world.org,
        target=services.Target("accounts.membership", "999"),
        personal_before={"employee_id": "E-1"},
        personal_after={"employee_id": "E-2", "display_name": "Gone"},
    )
    assert record.after == {"withheld": ["display_name", "employee_id"]}
    assert not AuditPersonal.objects.filter(record=record).exists()
