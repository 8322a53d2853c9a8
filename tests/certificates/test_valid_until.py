"""One expiry, one day: a certificate that expires at the start of a day in its organisation's time zone is valid
until the day before, and every place that shows it says that same day (`Certificate.valid_until`), whatever the
reader's time zone: the PDF, the "issued" notice, the dashboard, the holder's and the officer's pages, the public
page, the verification reason and the CSV export."""

# Fixtures imported from the fixture modules are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from syllabus.certificates import notifying, reminders, rendering, verification
from syllabus.certificates.models import Certificate, last_valid_day
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, finish
from tests.certificates.holder_fixtures import told
from tests.certificates.people_fixtures import SignIn, as_person, no_render  # noqa: F401 (fixtures)
from tests.conftest import World

pytestmark = pytest.mark.django_db

# Each expires at 00:00 on 2 March 2027 in its organisation's zone: its last valid day is 1 March 2027. Tokyo is
# ahead of UTC (the instant is still 1 March in UTC), New York behind it (the instant is 2 March in UTC).
EXPIRIES = {
    "Asia/Tokyo": dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.UTC),
    "America/New_York": dt.datetime(2027, 3, 2, 5, 0, tzinfo=dt.UTC),
}
# Readers far east of both: the expiry instant is 2 March for them, which no page may print.
READER_ZONE = "Pacific/Auckland"
LAST_VALID_DAY = dt.date(2027, 3, 1)


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture(params=sorted(EXPIRIES))
def zone_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def certificate(
    world: World, award: Any, zone_name: str, moved_clock: Any, no_render: Any, django_capture_on_commit_callbacks: Any
) -> Certificate:
    world.org.default_time_zone = zone_name
    world.org.save(update_fields=["default_time_zone"])
    world.learner.user.time_zone = READER_ZONE
    world.learner.user.save(update_fields=["time_zone"])
    with django_capture_on_commit_callbacks(execute=True):
        issued = issuing.issue_for_course_completion(
            finish(world.learner, award.course, NOW, expires=EXPIRIES[zone_name]).pk
        )
    assert issued is not None and issued.credential
    assert issued.expires_at == dt.datetime(2027, 3, 2, tzinfo=zoneinfo.ZoneInfo(zone_name))
    return Certificate.objects.select_related("organization").get(pk=issued.pk)


def test_the_last_valid_day_is_the_day_before_the_one_it_expires_at_the_start_of(certificate: Certificate) -> None:
    assert certificate.valid_until() == LAST_VALID_DAY
    zone = zoneinfo.ZoneInfo(certificate.organization.default_time_zone)
    assert last_valid_day(certificate.expires_at, zone) == LAST_VALID_DAY  # type: ignore[arg-type]
    assert rendering.last_valid_day is last_valid_day
    assert Certificate(expires_at=None).valid_until(zone) is None


def test_the_pdf_says_valid_until_the_last_valid_day(certificate: Certificate) -> None:
    values = rendering.context_for(certificate)
    assert values["expires_on"] == "1 March 2027"
    assert values["valid_until_sentence"] == "Valid until 1 March 2027"


def test_the_issued_notice_says_the_same_day(world: World, certificate: Certificate) -> None:
    [notice] = told(world.learner)
    assert "It is valid until March 1, 2027." in notice.body


def test_the_dashboard_says_the_same_day_in_any_readers_zone(
    world: World, certificate: Certificate, as_person: SignIn
) -> None:
    html = _text(as_person(world.learner).get(reverse("progress:dashboard")))
    block = re.search(r'aria-labelledby="section-certificates">.*?</section>', html)
    assert block is not None
    assert 'Valid until <time datetime="2027-03-01">March 1, 2027</time>' in block.group(0)


def test_the_holders_pages_say_the_same_day(world: World, certificate: Certificate, as_person: SignIn) -> None:
    client = as_person(world.learner)
    for page in (
        reverse("certificates:mine"),
        reverse("certificates:detail", args=[certificate.public_id]),
    ):
        html = _text(client.get(page))
        assert '<dt>Valid until</dt> <dd><time datetime="2027-03-01">1 March 2027</time></dd>' in html, page
        assert "2 March 2027" not in html, page


def test_the_officers_list_and_csv_say_the_same_day(certificate: Certificate, officer: Any, as_person: SignIn) -> None:
    officer.user.time_zone = READER_ZONE
    officer.user.save(update_fields=["time_zone"])
    client = as_person(officer)
    html = _text(client.get(reverse("certificates:list")))
    assert '<th scope="col">Valid until</th>' in html
    assert '<time datetime="2027-03-01">1 March 2027</time>' in html and "2 March 2027" not in html
    response: Any = client.get(reverse("certificates:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][5] == "Valid until"
    assert [row[5] for row in rows[1:]] == ["2027-03-01"]


def test_the_public_page_says_the_same_day_to_anyone(
    world: World, certificate: Certificate, client: Any, as_person: SignIn
) -> None:
    url = reverse("certificates:verify", args=[certificate.public_id])
    anonymous = _text(client.get(url))  # read in UTC
    signed_in = _text(as_person(world.learner).get(url))  # read in Auckland
    for html in (anonymous, signed_in):
        assert '<dt>Valid until</dt><dd><time datetime="2027-03-01">1 March 2027</time></dd>' in html
        assert "Expires on" not in html and "2 March 2027" not in html
    # The JSON keeps the instant: verifiers compare it with the credential's exp.
    expires_at = EXPIRIES[certificate.organization.default_time_zone]
    assert client.get(url, {"format": "json"}).json()["expires_at"] == expires_at.isoformat().replace("+00:00", "Z")


def test_once_expired_the_page_and_the_verification_say_the_same_day(
    certificate: Certificate, client: Any, moved_clock: Any
) -> None:
    moved_clock.to(dt.date(2027, 3, 5))
    html = _text(client.get(reverse("certificates:verify", args=[certificate.public_id])))
    assert "<strong>Expired</strong>" in html
    assert "has expired: it was valid until 1 March 2027." in html

    result = verification.verify_token(certificate.credential)
    assert result.authentic and not result.ok and result.status == "expired"
    # One reason, said once: the exp claim and the certificate's expiry name the same day.
    assert result.reasons == [verification.EXPIRED_ON.format(day="1 March 2027")]
    assert result.reasons == ["The credential has expired: it was valid until 1 March 2027."]


@pytest.mark.parametrize("name", sorted(EXPIRIES))
def test_the_reminders_say_the_same_day(name: str) -> None:
    zone = zoneinfo.ZoneInfo(name)
    row = reminders.Row(
        id=7,
        public_id="x",
        organization_id=1,
        user_id=1,
        title="Anti-bribery",
        issued_at=NOW,
        expires_at=EXPIRIES[name],
        zone=zone,
    )
    for step in (reminders.Step(notifying.EXPIRING, "k", 30), reminders.Step(notifying.EXPIRED, "k")):
        assert reminders.notice_for(row, step).context["valid_until"] == LAST_VALID_DAY
