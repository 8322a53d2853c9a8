"""Issuing: a completion earns one certificate (idempotent), a recompletion supersedes it, officers revoke."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.certificates import keys
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish

pytestmark = pytest.mark.django_db


def test_a_course_completion_issues_one_signed_certificate(world, award, moved_clock):
    completion = finish(world.learner, award.course, NOW, score="91.5")

    certificate = issuing.issue_for_course_completion(completion.pk)
    again = issuing.issue_for_course_completion(completion.pk)

    assert again.pk == certificate.pk
    assert Certificate.objects.count() == 1
    assert certificate.state == "valid"
    assert certificate.title == award.course.title
    assert certificate.recipient_name == world.learner.user.get_full_name()
    assert certificate.score == completion.score
    assert certificate.signing_key is not None
    header = jwt.get_unverified_header(certificate.credential)
    assert header["alg"] == "RS256"
    assert "d" not in header["jwk"]
    claims = jwt.decode(
        certificate.credential,
        keys.public_key(certificate.signing_key),
        algorithms=["RS256"],
        options={"verify_aud": False},
    )
    assert claims["jti"] == claims["id"]
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(NOW.timestamp())
    assert "OpenBadgeCredential" in claims["type"]
    assert AuditRecord.objects.filter(action="certificate.issued").count() == 1


def test_a_recompletion_supersedes_the_previous_certificate(world, award, moved_clock):
    first = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    later = NOW + dt.timedelta(days=400)
    second = issuing.issue_for_course_completion(
        finish(world.learner, award.course, later, expires=later + dt.timedelta(days=365)).pk
    )

    first.refresh_from_db()
    assert first.state == "superseded"
    assert first.superseded_by_id == second.pk
    assert second.state == "valid"
    assert second.expires_at == later + dt.timedelta(days=365)
    assert first.status_on(NOW) == "superseded"
    assert second.status_on(later + dt.timedelta(days=366)) == "expired"


def test_a_course_without_an_enabled_award_issues_nothing(world, award, moved_clock):
    award.enabled = False
    award.save()
    assert issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk) is None
    assert not Certificate.objects.exists()


def test_only_certificate_managers_revoke_and_a_reason_is_required(world, award, officer, moved_clock):
    certificate = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)

    with pytest.raises(PermissionDenied):
        issuing.certificate_revoke(certificate=certificate, by=world.learner.user, reason="mine")
    with pytest.raises(PermissionDenied):
        issuing.certificate_revoke(certificate=certificate, by=world.outsider.user, reason="theirs")
    with pytest.raises(ValidationError):
        issuing.certificate_revoke(certificate=certificate, by=officer.user, reason="  ")

    issuing.certificate_revoke(certificate=certificate, by=officer.user, reason="Issued in error")
    certificate.refresh_from_db()
    assert certificate.state == "revoked"
    assert certificate.revoke_reason == "Issued in error"
    assert certificate.status_on(NOW) == "revoked"
    with pytest.raises(ValidationError):
        issuing.certificate_revoke(certificate=certificate, by=officer.user, reason="again")
