# ruff: noqa: F811 (fixtures imported from holder_fixtures are test parameters, as pytest intends)
"""The nightly catch-up: certificates that completion events missed are issued; earlier completions are left to
the backfill an officer chooses; an erased holder's PDF is not drawn again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from syllabus.certificates import tasks
from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.privacy import ERASED_RENDER_NOTE
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish
from tests.certificates.holder_fixtures import no_render  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_completion_whose_event_was_lost_is_issued_by_the_nightly_run(world, award, moved_clock, no_render):
    Award.objects.filter(pk=award.pk).update(created_at=NOW - dt.timedelta(days=30))
    before_the_award = finish(world.learner, award.course, NOW - dt.timedelta(days=40))
    lost = finish(world.report, award.course, NOW - dt.timedelta(days=2))  # committed; its task never ran

    out = tasks.daily()

    assert out["caught_up"] == 1
    certificate = Certificate.objects.get()
    assert certificate.completion_id == lost.pk
    assert not Certificate.objects.filter(completion=before_the_award).exists()  # the backfill's business
    assert tasks.daily()["caught_up"] == 0  # idempotent


def test_a_disabled_award_catches_nothing_up(world, award, moved_clock, no_render):
    Award.objects.filter(pk=award.pk).update(created_at=NOW - dt.timedelta(days=30), enabled=False)
    finish(world.report, award.course, NOW - dt.timedelta(days=2))

    assert tasks.daily()["caught_up"] == 0
    assert not Certificate.objects.exists()


def test_an_erased_holders_pdf_is_not_drawn_again(world, award, officer, moved_clock, no_render):
    certificate = issuing.issue_for_course_completion(finish(world.learner, award.course, NOW).pk)
    Certificate.objects.filter(pk=certificate.pk).update(
        render_state=Certificate.RenderState.FAILED, render_error=ERASED_RENDER_NOTE
    )
    certificate.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        issuing.certificate_rerender(certificate=certificate, by=officer.user)
    assert refused.value.messages == [issuing.ERASED_NOT_DRAWN]
    certificate.refresh_from_db()
    assert certificate.render_state == Certificate.RenderState.FAILED  # still "deleted with the holder's data"
    assert certificate.render_error == ERASED_RENDER_NOTE
