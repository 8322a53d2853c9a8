"""What certificates tell their holders: the types with their wording, "your certificate is ready" when one is
issued (after commit, once), and "revoked" with the reason."""

# Fixtures imported from holder_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.certificates import notifying
from syllabus.certificates.services import issuing
from syllabus.notifications import rendering
from syllabus.notifications import types as registry
from tests.certificates.conftest import NOW, finish
from tests.certificates.holder_fixtures import issue_for, no_render, told  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

YEAR = dt.timedelta(days=365)


# --- the types ---------------------------------------------------------------------------------------------------


def test_every_type_is_registered_and_renders_its_samples_completely() -> None:
    assert {kind.key for kind in notifying.TYPES} == {
        "certificate.issued",
        "certificate.expiring",
        "certificate.expired",
        "certificate.revoked",
    }
    for kind in notifying.TYPES:
        assert registry.get(kind.key) is kind
        rendered = rendering.render(
            subject=kind.subject,
            body=kind.body,
            context=rendering.sample_context(kind),
            language="en",
            time_zone="UTC",
        )
        assert "{{" not in rendered.subject + rendered.body, kind.key
        for name in kind.placeholders:
            assert "{{ " + name + " }}" in str(kind.subject) + str(kind.body), (kind.key, name)


def test_expiry_reminders_may_be_made_mandatory_by_an_organisation() -> None:
    flags = {kind.key: kind.org_mandatory_allowed for kind in notifying.TYPES}
    assert flags[notifying.EXPIRING] and flags[notifying.EXPIRED]
    assert not flags[notifying.ISSUED]


# --- issued --------------------------------------------------------------------------------------------------------


def test_the_holder_hears_their_certificate_is_ready_once_after_commit(
    world, award, moved_clock, no_render, django_capture_on_commit_callbacks, mailoutbox
):
    completion = finish(world.learner, award.course, NOW, expires=NOW + YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issuing.issue_for_course_completion(completion.pk)
        # Nothing is said before the issue commits.
        assert told(world.learner) == []

    [notice] = told(world.learner)
    assert notice.type_key == notifying.ISSUED
    assert notice.subject == "Your certificate for Anti-bribery is ready"
    assert "issued on March 2, 2026" in notice.body
    assert "It is valid until March 2, 2027." in notice.body
    assert notice.url == reverse("certificates:detail", args=[certificate.public_id])
    assert notice.organization_id == world.org.pk
    assert notice.dedupe_key == f"certificate:{certificate.pk}:issued"
    assert [m.subject for m in mailoutbox] == ["Your certificate for Anti-bribery is ready"]
    assert no_render == [certificate.pk]

    # The event handled again (a retried task, a second worker) tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifying.send_issued(certificate.pk) is None
        issuing.issue_for_course_completion(completion.pk)
    assert len(told(world.learner)) == 1
    assert len(mailoutbox) == 1


def test_a_certificate_that_does_not_expire_says_so(world, award, moved_clock, no_render):
    certificate = issue_for(award, world.learner, NOW)
    notifying.send_issued(certificate.pk)
    [notice] = told(world.learner, notifying.ISSUED)
    assert "It does not expire." in notice.body


def test_only_the_holder_is_told(world, award, officer, moved_clock, no_render, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issue_for(award, world.learner, NOW)
    for persona in (world.org_admin, world.manager, officer, world.outsider, world.report):
        assert told(persona) == []
    assert len(told(world.learner)) == 1


def test_a_reissue_tells_the_holder_of_the_new_certificate(
    world, award, moved_clock, no_render, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_for(award, world.learner, NOW, expires=NOW + YEAR)
    moved_clock.move(days=360)
    with django_capture_on_commit_callbacks(execute=True):
        second = issue_for(award, world.learner, moved_clock.now, expires=moved_clock.now + YEAR)
    keys = [notice.dedupe_key for notice in told(world.learner, notifying.ISSUED)]
    assert keys == [f"certificate:{first.pk}:issued", f"certificate:{second.pk}:issued"]


def test_no_news_of_a_certificate_issued_already_expired_or_revoked_meanwhile(
    world, award, officer, moved_clock, no_render
):
    # A late issue for an old completion (a backfill): on the holder's page, but nothing to announce.
    late = issue_for(award, world.learner, NOW - 2 * YEAR, expires=NOW - YEAR)
    assert notifying.send_issued(late.pk) is None
    # Revoked before the handler ran.
    revoked = issue_for(award, world.report, NOW)
    issuing.certificate_revoke(certificate=revoked, by=officer.user, reason="Wrong person")
    assert notifying.send_issued(revoked.pk) is None
    assert told(world.learner) == [] and told(world.report, notifying.ISSUED) == []


def test_a_person_who_left_is_not_told(world, award, moved_clock, no_render):
    certificate = issue_for(award, world.learner, NOW)
    world.learner.is_active = False
    world.learner.save(update_fields=["is_active"])
    assert notifying.send_issued(certificate.pk) is None
    assert notifying.send_issued(999_999) is None


# --- revoked -------------------------------------------------------------------------------------------------------


def test_the_holder_hears_of_a_revocation_with_the_reason(
    world, award, officer, moved_clock, no_render, django_capture_on_commit_callbacks, mailoutbox
):
    certificate = issue_for(award, world.learner, NOW)
    with django_capture_on_commit_callbacks(execute=True):
        issuing.certificate_revoke(
            certificate=certificate, by=officer.user, reason="The practical part was not observed."
        )
    [notice] = told(world.learner, notifying.REVOKED)
    assert notice.subject == "Your certificate for Anti-bribery was revoked"
    assert "Acme Health revoked your certificate for Anti-bribery, issued on March 2, 2026" in notice.body
    assert "Their reason: “The practical part was not observed.”" in notice.body
    assert notice.url == reverse("certificates:detail", args=[certificate.public_id])
    assert notice.dedupe_key == f"certificate:{certificate.pk}:revoked"
    assert "Anti-bribery was revoked" in mailoutbox[-1].subject
    # Handled twice, told once; the officer who revoked it is told nothing.
    assert notifying.send_revoked(certificate.pk) is None
    assert told(officer) == []


def test_a_hostile_reason_stays_text_on_one_line_and_is_cut(world, award, officer, moved_clock, no_render):
    certificate = issue_for(award, world.learner, NOW)
    reason = "{{ title }} <script>alert(1)</script>\n\nSyllabus says: click here " + "x" * 1000
    issuing.certificate_revoke(certificate=certificate, by=officer.user, reason=reason)
    notifying.send_revoked(certificate.pk)
    [notice] = told(world.learner, notifying.REVOKED)
    quoted = notice.body.split("\n\n")[-1]
    assert quoted.startswith("Their reason: “{{ title }} <script>alert(1)</script> Syllabus says: click here x")
    assert "\n" not in quoted
    assert len(quoted) <= len("Their reason: “”") + notifying.REASON_MAX
    assert quoted.endswith("…”")


def test_a_certificate_that_is_not_revoked_sends_no_revocation(world, award, moved_clock, no_render):
    certificate = issue_for(award, world.learner, NOW)
    assert notifying.send_revoked(certificate.pk) is None
    assert told(world.learner, notifying.REVOKED) == []


def test_a_failing_handler_never_fails_the_business_action(
    world, award, moved_clock, no_render, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(certificate_id: int) -> None:
        raise RuntimeError("the notifications database is gone")

    monkeypatch.setattr(notifying, "send_issued", broken)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_for(award, world.learner, NOW)
    certificate.refresh_from_db()
    assert certificate.state == "valid"
