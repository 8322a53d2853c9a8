"""`manage.py seed_demo`, the certificates part: awards, and certificates valid, expired, superseded and revoked,
their PDFs drawn; idempotent; `--reset` deletes the files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from syllabus.certificates import demo as certificates_demo
from syllabus.certificates import notifying
from syllabus.certificates.models import Award, Certificate, SigningKey, Template
from syllabus.core import demo
from syllabus.notifications.models import Notification
from syllabus.progress import services as progress_services
from syllabus.progress.models import Completion

pytestmark = pytest.mark.django_db

MODELS = (Template, Award, SigningKey, Certificate, Completion)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_requirements() -> None:
    """progress caches each version's requirements by (id, published_at) for the process; under the frozen clock
    a later test's seed reuses both with other activities, and its learners would complete nothing."""
    progress_services._requirements.cache_clear()


@pytest.fixture(autouse=True)
def steps_through_certificates() -> Iterator[None]:
    """seed_demo with the steps up to the certificates' (each seed of the whole demo costs seconds more)."""
    with demo.only(*demo.through("certificates")):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def of(email: str, title: str) -> list[Certificate]:
    return list(Certificate.objects.filter(membership__user__email=email, title=title).order_by("issued_at"))


def test_the_step_runs_after_compliance() -> None:
    names = [step.name for step in demo.steps()]
    assert names.index("compliance") < names.index("certificates")
    [step] = [step for step in demo.steps() if step.name == "certificates"]
    assert step.run is certificates_demo.seed_certificates and step.reset is certificates_demo.reset_certificates


def test_certificates_in_every_state_with_pdfs_a_reset_deletes(moved_clock, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        out = run()
    now = moved_clock.now
    assert "Northwind Health: " in out and " certificates (" in out

    awards = Award.objects.select_related("course", "program")
    assert {a.course.title if a.course else a.program.name for a in awards} == {
        certificates_demo.LIFE_SUPPORT,
        certificates_demo.HAND_HYGIENE,
        certificates_demo.FIRE_SAFETY,
    }
    assert Template.objects.filter(is_default=True).count() == 1

    statuses = [c.status_on(now) for c in Certificate.objects.all()]
    assert statuses.count("valid") >= 3
    assert {"valid", "expired", "superseded", "revoked"} <= set(statuses)

    # Chloe, the demo learner: her current life support certificate is valid; the earlier one it replaced is not.
    earlier, current = of(certificates_demo.CHLOE, certificates_demo.LIFE_SUPPORT)
    assert current.status_on(now) == "valid"
    assert earlier.state == "superseded" and earlier.superseded_by_id == current.pk
    assert earlier.state_changed_at == current.issued_at
    # Megan's was revoked by Catherine, with the reason.
    [megan] = of(certificates_demo.MEGAN, certificates_demo.LIFE_SUPPORT)
    assert megan.state == "revoked" and megan.revoke_reason == certificates_demo.REVOKE_REASON
    assert megan.revoked_by is not None and megan.revoked_by.email == certificates_demo.CATHERINE
    # Rajesh's hand hygiene: issued some 14 months ago, valid for 12.
    [rajesh] = of(certificates_demo.RAJESH, certificates_demo.HAND_HYGIENE)
    assert rajesh.status_on(now) == "expired"
    assert 12 * 30 < (now - rajesh.issued_at).days < 15 * 30
    # The program's cycles earned theirs, with the program's expiry.
    fire = Certificate.objects.filter(source="program")
    assert fire.exists() and all(c.expires_at is not None and c.assignment_id for c in fire)

    # Every certificate is signed and drawn.
    for certificate in Certificate.objects.all():
        assert certificate.credential and certificate.signing_key_id
        assert certificate.render_state == "ready", certificate.render_error
        assert certificate.pdf.name and default_storage.exists(certificate.pdf.name)
    # "Your certificate is ready" was said to the holders of valid ones, dated when they were issued.
    ready = Notification.objects.filter(type_key=notifying.ISSUED, recipient__email=certificates_demo.CHLOE)
    assert [n.created_at for n in ready] == [current.issued_at]

    # A reset deletes the PDF files (here rather than in a test of its own: each seed of the demo costs seconds).
    files = [c.pdf.name for c in Certificate.objects.all()]
    with django_capture_on_commit_callbacks(execute=True):
        run("--reset")
    assert not any(default_storage.exists(name) for name in files)
    # And the seed after the reset issues them again.
    assert Certificate.objects.count() == len(files)


def test_chloe_sees_her_certificate_and_seeding_twice_adds_nothing(
    moved_clock, client, django_capture_on_commit_callbacks
) -> None:
    # One test for both: each seed of the whole demo costs seconds.
    with django_capture_on_commit_callbacks(execute=True):
        run()
    client.force_login(
        Certificate.objects.filter(membership__user__email=certificates_demo.CHLOE).first().membership.user
    )
    page = client.get(reverse("progress:dashboard")).content.decode()
    assert 'id="section-certificates"' in page and certificates_demo.LIFE_SUPPORT in page

    first = counts()
    states = dict(Certificate.objects.values_list("pk", "state"))
    with django_capture_on_commit_callbacks(execute=True):
        assert "Demo data already present" in run()
    assert counts() == first
    assert dict(Certificate.objects.values_list("pk", "state")) == states
