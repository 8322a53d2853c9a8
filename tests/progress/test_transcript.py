"""The transcript: every completion (course and approved external training) with its date, version, score, time
spent and expiry; a year filter; CSV (formula-safe) and PDF (Unicode names) downloads; and someone else's
transcript only for the people who may see that person's training."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.core import clock
from syllabus.progress import selectors_learner as selectors
from syllabus.progress import services, transcripts
from syllabus.progress.models import Completion
from tests.conftest import World
from tests.factories import CourseFactory, MembershipFactory

MINE = reverse("progress:transcript")
UNICODE_NAME = "Zoë Łukasiewicz 陈"


def line(
    membership: Membership,
    title: str,
    *,
    at: dt.datetime | None = None,
    score: str | None = "92.50",
    seconds: int = 5400,
    expires_at: dt.datetime | None = None,
    course: Any = None,
) -> Completion:
    return Completion.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        course=course,
        title=title,
        version_label="2.1",
        completed_at=at or clock.now() - dt.timedelta(days=1),
        expires_at=expires_at,
        score=Decimal(score) if score else None,
        time_spent_seconds=seconds,
    )


def person_url(membership: Membership, **query: str) -> str:
    url = reverse("progress:person-transcript", args=[membership.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def external_approved(world: World, title: str = "First aid at work") -> Completion:
    record = services.external_submit(
        membership=world.report,
        by=world.report.user,
        title=title,
        provider="Red Cross",
        completed_on=clock.today() - dt.timedelta(days=3),
        hours=Decimal("7.5"),
        score=Decimal(88),
    )
    return services.external_approve(record=record, by=world.manager.user)


# --- the page --------------------------------------------------------------------------------------------------


def test_the_transcript_lists_course_and_external_completions_with_their_details(world: World, client: Any) -> None:
    course = CourseFactory(organization=world.org, title="Fire safety")
    line(
        world.report,
        "Fire safety",
        course=course,
        seconds=5400,
        expires_at=clock.now() + dt.timedelta(days=300),
    )
    line(world.report, "Manual handling", score=None, seconds=59, expires_at=clock.now() - dt.timedelta(days=1))
    external_approved(world)
    client.force_login(world.report.user)
    page = client.get(MINE).content.decode()
    rows = page.split("<tbody>")[1].split("<tr>")[1:]
    assert len(rows) == 3
    fire = next(row for row in rows if "Fire safety" in row)
    assert "2.1" in fire and "92.5%" in fire and ">1:30<" in fire and "Course" in fire
    assert f'href="{reverse("catalog:course", args=[course.pk])}"' in fire
    handling = next(row for row in rows if "Manual handling" in row)
    # 59 seconds is not nothing: "< 0:01", not "0:00".
    assert "&lt; 0:01" in handling and ">0:00<" not in handling and ">Expired<" in handling
    first_aid = next(row for row in rows if "First aid at work" in row)
    assert "External training" in first_aid and "Red Cross" in first_aid and "88%" in first_aid
    assert ">7:30<" in first_aid and "Never" in first_aid


def test_the_year_filter_keeps_the_completions_of_that_year(world: World, client: Any) -> None:
    line(world.learner, "Old course", at=dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC))
    line(world.learner, "Recent course", at=dt.datetime(2023, 6, 1, 12, tzinfo=dt.UTC))
    client.force_login(world.learner.user)
    page = client.get(MINE + "?year=2021").content.decode()
    assert "Old course" in page and "Recent course" not in page
    assert '<option value="2023">' in page and '<option value="2021" selected>' in page
    downloaded = client.get(MINE + "?year=2023&format=csv").content.decode()
    assert "Recent course" in downloaded and "Old course" not in downloaded
    assert 'href="/learn/transcript/?year=2021&amp;format=csv"' in page


def test_years_follow_the_persons_time_zone(world: World, client: Any) -> None:
    user = world.learner.user
    user.time_zone = "Asia/Tokyo"
    user.save()
    line(world.learner, "New Year's Eve shift", at=dt.datetime(2022, 12, 31, 20, tzinfo=dt.UTC))  # 2023 in Tokyo
    client.force_login(user)
    assert "New Year" in client.get(MINE + "?year=2023").content.decode()
    assert "New Year" not in client.get(MINE + "?year=2022").content.decode()


def test_h_mm_formatting() -> None:
    assert selectors.hours_minutes(0) == "0:00"
    assert selectors.hours_minutes(59) == "0:00"
    assert selectors.hours_minutes(3600 * 12 + 5 * 60) == "12:05"
    assert selectors.percent_text(Decimal("100.00")) == "100"
    assert selectors.percent_text(Decimal("85.50")) == "85.5"


# --- CSV -------------------------------------------------------------------------------------------------------


def test_the_csv_download_escapes_cells_a_spreadsheet_would_run(world: World, client: Any) -> None:
    hostile = ['=HYPERLINK("http://evil.test")', "+1+1", "-2", "@SUM(A1)", "\tTabbed", "\rReturned", "Plain"]
    for n, title in enumerate(hostile):
        line(world.learner, title, at=clock.now() - dt.timedelta(days=n + 1))
    client.force_login(world.learner.user)
    response = client.get(MINE + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Completed on", "Title", "Version", "Score (%)", "Time spent (h:mm)"]
    titles = [row[1] for row in rows[1:]]
    assert titles == ["'" + title for title in hostile[:-1]] + ["Plain"]
    assert rows[1][2] == "2.1" and rows[1][3] == "92.5" and rows[1][4] == "1:30"


def test_the_csv_keeps_unicode_names_and_titles(world: World, client: Any) -> None:
    line(world.learner, "Sécurité incendie — 消防安全")
    client.force_login(world.learner.user)
    body = client.get(MINE + "?format=csv").content.decode("utf-8")
    assert "Sécurité incendie — 消防安全" in body


# --- PDF -------------------------------------------------------------------------------------------------------


def _pdf_text_maps(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated: the fonts' ToUnicode maps say which characters were drawn."""
    parts = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            parts.append(match.group(1))
    return b"\n".join(parts).lower()


def _drawn(maps: bytes, text: str) -> list[str]:
    """The characters of `text` that no embedded font maps (i.e. were not drawn with a real glyph)."""
    missing = []
    for char in set(text) - {" "}:
        code = f"{ord(char):04x}".encode()
        if not re.search(rb"<[0-9a-f]+> <" + code + rb">", maps):
            missing.append(char)
    return missing


def test_the_pdf_carries_the_organisation_the_person_and_the_date_and_draws_unicode_names(
    world: World, client: Any
) -> None:
    user = world.learner.user
    user.display_name = UNICODE_NAME
    user.save()
    line(world.learner, "Łódź onboarding")
    client.force_login(user)
    response = client.get(MINE + "?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="transcript-zoe-ukasiewicz.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    maps = _pdf_text_maps(pdf)
    missing = _drawn(maps, UNICODE_NAME)
    assert missing == [], f"drawn without a font: {missing}; the machine needs Debian's fonts-dejavu and fonts-noto-cjk"
    assert _drawn(maps, "Acme Health") == []
    assert _drawn(maps, "Łódź") == []


def test_the_pdf_page_says_who_where_and_when(world: World, settings: Any) -> None:
    items = selectors.completed_items([line(world.learner, "Fire safety")])
    generated = dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.UTC)
    from django.template.loader import render_to_string

    html = render_to_string(
        "progress/learner/transcript_pdf.html",
        {
            "items": items,
            "organization_name": "Acme Health",
            "person_name": UNICODE_NAME,
            "year": None,
            "generated_at": generated,
            "fonts": transcripts.PDF_FONTS,
        },
    )
    assert "Acme Health" in html and UNICODE_NAME in html and "Generated on" in html and "2025" in html
    assert "Fire safety" in html and "1:30" in html


def test_the_pdf_fetches_nothing(world: World) -> None:
    line(world.learner, '<img src="http://127.0.0.1:9/x.png">')
    items = selectors.completed_items(selectors.transcript(membership=world.learner))
    pdf = transcripts.transcript_pdf(
        items=items, organization_name="Acme", person_name="Lena", year=None, generated_at=clock.now()
    )
    assert pdf.startswith(b"%PDF-")
    with pytest.raises(ValueError, match="no external resource"):
        transcripts._refuse_fetch("http://127.0.0.1:9/x.png")


# --- someone else's transcript ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "org_admin", "scoped_admin"])
def test_people_who_may_see_a_persons_training_read_their_transcript(world: World, client: Any, who: str) -> None:
    from tests.factories import grant

    line(world.report, "Rita's fire safety")
    if who == "scoped_admin":
        viewer = MembershipFactory(organization=world.org, org_unit=world.hq)
        grant(viewer, "org_admin", org_unit=world.sales)
    else:
        viewer = getattr(world, who)
    client.force_login(viewer.user)
    page = client.get(person_url(world.report))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Transcript of Rita Report" in body and "Rita&#x27;s fire safety" in body
    for fmt in ("csv", "pdf"):
        assert client.get(person_url(world.report, format=fmt)).status_code == 200


def test_a_learner_cannot_read_another_learners_transcript(world: World, client: Any) -> None:
    line(world.report, "Rita's fire safety")
    client.force_login(world.learner.user)
    for fmt in ("", "csv", "pdf"):
        query = {"format": fmt} if fmt else {}
        assert client.get(person_url(world.report, **query)).status_code == 404


def test_a_manager_cannot_read_the_transcript_of_someone_outside_their_team(world: World, client: Any) -> None:
    client.force_login(world.manager.user)
    assert client.get(person_url(world.engineer)).status_code == 404
    assert client.get(person_url(world.learner, format="csv")).status_code == 404
    assert client.get(person_url(world.indirect_report)).status_code == 200  # down the reporting line


def test_an_id_of_another_organisation_is_not_found(world: World, client: Any) -> None:
    line(world.outsider, "Globex secret")
    client.force_login(world.org_admin.user)
    assert client.get(person_url(world.outsider)).status_code == 404
    client.force_login(world.outsider.user)  # an org admin over there asks for someone here
    assert client.get(person_url(world.learner)).status_code == 404
    assert client.get(person_url(world.outsider)).status_code == 200


def test_ones_own_transcript_by_id_is_allowed(world: World, client: Any) -> None:
    client.force_login(world.learner.user)
    assert client.get(person_url(world.learner)).status_code == 200


# --- scale -----------------------------------------------------------------------------------------------------


def _count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("fmt", ["", "csv"])
def test_the_transcript_costs_the_same_queries_for_3_or_30_lines(
    world: World, client: Any, django_assert_max_num_queries: Any, fmt: str
) -> None:
    path = MINE + (f"?format={fmt}" if fmt else "")
    client.force_login(world.learner.user)
    for n in range(3):
        line(world.learner, f"Course {n}", at=clock.now() - dt.timedelta(days=400 * n + 1))
    few = _count(client, path)
    for n in range(3, 30):
        line(world.learner, f"Course {n}", at=clock.now() - dt.timedelta(days=40 * n + 1))
    with django_assert_max_num_queries(few):
        client.get(path)


def test_a_managers_view_of_a_transcript_costs_the_same_queries_for_3_or_30_lines(
    world: World, client: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.manager.user)
    for n in range(3):
        line(world.report, f"Course {n}")
    few = _count(client, person_url(world.report))
    for n in range(3, 30):
        line(world.report, f"Course {n}")
    with django_assert_max_num_queries(few):
        client.get(person_url(world.report))


# --- the review's fixes: the time column, one date format, "Never", the zone of "Generated on" ------------------


def test_the_page_names_the_time_column_unit_and_shows_a_few_seconds_as_under_a_minute(
    world: World, client: Any
) -> None:
    line(world.report, "Short video", seconds=20)
    line(world.report, "No time", seconds=0)
    client.force_login(world.report.user)
    page = client.get(MINE).content.decode()
    assert '<th scope="col">Time spent (h:mm)</th>' in page
    rows = page.split("<tbody>")[1].split("<tr>")[1:]
    short = next(row for row in rows if "Short video" in row)
    nothing = next(row for row in rows if "No time" in row)
    assert "&lt; 0:01" in short and "less than a minute" in short
    assert ">0:00<" in nothing and "&lt; 0:01" not in nothing


def test_the_pdf_writes_dates_as_the_page_does_never_for_no_expiry_and_names_the_zone(
    world: World, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    render = transcripts.render_to_string

    def keep(*args: Any, **kwargs: Any) -> str:
        html = render(*args, **kwargs)
        drawn.append(html)
        return html

    monkeypatch.setattr(transcripts, "render_to_string", keep)
    at = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    line(world.report, "Fire safety", at=at, seconds=30)
    user = world.report.user
    user.time_zone = "Europe/Paris"
    user.save()
    client.force_login(user)
    page = client.get(MINE).content.decode()
    response = client.get(MINE, {"format": "pdf"})
    assert response.status_code == 200
    [html] = drawn
    assert "Nov. 27, 2026" in page and "Nov. 27, 2026" in html  # the same format in both (DATE_FORMAT)
    assert "Never" in html and "&lt; 0:01" in html and "Time spent (h:mm)" in html
    assert re.search(r"Generated on [^<]+\(Europe/Paris\)", html)
