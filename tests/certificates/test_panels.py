"""Certificates on progress's pages through web.panels: the dashboard's "Certificates" block and the transcript's
"Certificate" link beside each completion that earned one (one query for the page, only what the viewer may see)."""

# Fixtures imported from holder_fixtures are redefined as test parameters, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.access.policy import principal_for
from syllabus.certificates import panels
from syllabus.certificates.models import Award, Certificate
from syllabus.certificates.services import issuing
from syllabus.compliance import evaluation
from syllabus.compliance.models import Assignment
from syllabus.web import panels as registry
from tests.certificates.conftest import NOW, finish
from tests.certificates.holder_fixtures import issue_for, no_render  # noqa: F401 (fixtures)
from tests.compliance.conftest import make_course

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("progress:dashboard")
TRANSCRIPT = reverse("progress:transcript")
YEAR = dt.timedelta(days=365)


def detail(certificate: Certificate) -> str:
    return reverse("certificates:detail", args=[certificate.public_id])


def section(html: str) -> str:
    """The dashboard's certificates block ("" when it is not shown)."""
    found = re.search(
        r'<section class="dashboard-section" aria-labelledby="section-certificates">.*?</section>', html, re.S
    )
    return found.group(0) if found else ""


def more_awards(world, template, count: int, start: int = 0) -> list[Award]:
    return [
        Award.objects.create(
            organization=world.org, source="course", course=make_course(world, f"Course {n}"), template=template
        )
        for n in range(start, start + count)
    ]


def test_providers_are_registered_by_the_app() -> None:
    assert registry._dashboard["certificates"] is panels.dashboard_panel
    assert registry._transcript["certificates"] is panels.transcript_links


# --- the dashboard -------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_three_latest_valid_certificates(
    world, award, template, officer, moved_clock, no_render, client
):
    courses = more_awards(world, template, 4)
    older = issue_for(courses[0], world.learner, NOW - dt.timedelta(days=40))
    soon = issue_for(courses[1], world.learner, NOW - dt.timedelta(days=30), expires=NOW + dt.timedelta(days=12))
    latest = issue_for(courses[2], world.learner, NOW - dt.timedelta(days=10), expires=NOW + YEAR)
    expired = issue_for(courses[3], world.learner, NOW - 2 * YEAR, expires=NOW - YEAR)
    revoked = issue_for(award, world.learner, NOW - dt.timedelta(days=1))
    issuing.certificate_revoke(certificate=revoked, by=officer.user, reason="Issued in error")
    oldest = issue_for(more_awards(world, template, 1, start=9)[0], world.learner, NOW - dt.timedelta(days=90))

    client.force_login(world.learner.user)
    block = section(client.get(DASHBOARD).content.decode())

    assert '<h2 id="section-certificates">Certificates</h2>' in block
    links = re.findall(r'<h3 class="dashboard-title"><a href="([^"]+)">', block)
    assert links == [detail(latest), detail(soon), detail(older)]
    for left_out in (expired, revoked, oldest):
        assert detail(left_out) not in block
    assert "Expires in 12 days" in block
    assert block.count("Expires in") == 1
    assert "Does not expire" in block
    assert f'href="{reverse("certificates:mine")}"' in block


def test_no_block_for_someone_without_a_valid_certificate(world, award, moved_clock, no_render, client):
    issue_for(award, world.report, NOW)  # somebody else's
    client.force_login(world.learner.user)
    page = client.get(DASHBOARD).content.decode()
    assert section(page) == ""
    assert "section-certificates" not in page


def test_a_name_or_title_with_markup_is_shown_as_text(world, award, moved_clock, no_render, client):
    award.course.title = '<img src=x onerror="alert(1)">'
    award.course.save()
    certificate = issue_for(award, world.learner, NOW)
    assert certificate.title.startswith("<img")
    client.force_login(world.learner.user)
    block = section(client.get(DASHBOARD).content.decode())
    assert "<img src=x" not in block
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in block


def test_the_dashboard_costs_one_query_more_whatever_the_number_of_certificates(
    world, template, moved_clock, no_render, client, django_assert_max_num_queries
):
    client.force_login(world.learner.user)
    for award in more_awards(world, template, 3):
        issue_for(award, world.learner, NOW)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD).status_code == 200
    few = len(captured.captured_queries)
    for award in more_awards(world, template, 30, start=3):
        issue_for(award, world.learner, NOW)
    with django_assert_max_num_queries(few):
        client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as captured:
        panels.dashboard_certificates(world.learner, NOW)
    assert len(captured.captured_queries) == 1


# --- the transcript ------------------------------------------------------------------------------------------------


def rows_of(html: str) -> dict[str, str]:
    """Each transcript line's title cell, by the line's title (its first text)."""
    cells = re.findall(r'<th scope="row" class="break-anywhere">(.*?)</th>', html, re.S)
    return {re.sub(r"<[^>]+>", "", cell.split("<br>")[0]).strip(): cell for cell in cells}


def test_the_transcript_links_each_completion_that_earned_a_certificate(
    world, award, template, moved_clock, no_render, client
):
    certificate = issue_for(award, world.learner, NOW - dt.timedelta(days=5))
    plain = make_course(world, "Without an award")
    finish(world.learner, plain, NOW - dt.timedelta(days=3))

    client.force_login(world.learner.user)
    rows = rows_of(client.get(TRANSCRIPT).content.decode())

    assert set(rows) == {"Anti-bribery", "Without an award"}
    assert (
        f'<a href="{detail(certificate)}">Certificate<span class="visually-hidden"> for Anti-bribery</span></a>'
        in (rows["Anti-bribery"])
    )
    assert "Certificate" not in rows["Without an award"]


def test_a_superseded_or_revoked_certificate_is_linked_with_its_status(
    world, award, officer, moved_clock, no_render, client
):
    first = issue_for(award, world.learner, NOW - 2 * YEAR, expires=NOW - YEAR)
    second = issue_for(award, world.learner, NOW - dt.timedelta(days=30), expires=NOW + YEAR)
    issuing.certificate_revoke(certificate=second, by=officer.user, reason="Issued in error")
    client.force_login(world.learner.user)
    html = client.get(TRANSCRIPT).content.decode()
    assert re.search(re.escape(detail(first)) + r'.*?</a> <span class="badge">Superseded</span>', html, re.S)
    assert re.search(re.escape(detail(second)) + r'.*?</a> <span class="badge">Revoked</span>', html, re.S)


def test_the_program_certificate_is_linked_beside_the_completion_that_satisfied_the_cycle(
    world, sales, course, template, build, moved_clock, no_render, client
):
    program = build.program(sales, [course], valid_months=12)
    completion = finish(world.learner, course, NOW)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    assert assignment.completion_id == completion.pk
    Award.objects.create(organization=world.org, source="program", program=program, template=template)
    certificate = issuing.issue_for_program_cycle(
        assignment_id=assignment.pk,
        program_id=program.pk,
        membership_id=world.learner.pk,
        cycle=assignment.cycle,
        completed_on=assignment.completed_on,
        expires_on=assignment.expires_on,
        completion_id=completion.pk,
    )
    assert certificate is not None and certificate.completion_id is None

    links = panels.transcript_links(principal_for(world.learner.user, world.org), world.learner, [completion.pk])
    [link] = links[completion.pk]
    assert link.url == detail(certificate)
    assert link.label == f"Certificate: {program.name}"
    client.force_login(world.learner.user)
    assert f'<a href="{detail(certificate)}">Certificate: {program.name}</a>' in client.get(TRANSCRIPT).content.decode()


def test_a_manager_reading_a_transcript_sees_the_links_others_see_none(world, award, moved_clock, no_render, client):
    certificate = issue_for(award, world.report, NOW)
    [completion_id] = [certificate.completion_id]
    client.force_login(world.manager.user)
    page = client.get(reverse("progress:person-transcript", args=[world.report.pk])).content.decode()
    assert detail(certificate) in page
    # The provider answers only with what the viewer may follow, whoever asks it.
    for persona in (world.learner, world.engineer):
        assert panels.transcript_links(principal_for(persona.user, world.org), world.report, [completion_id]) == {}
    assert (
        panels.transcript_links(principal_for(world.outsider.user, world.other_org), world.report, [completion_id])
        == {}
    )


def test_no_query_when_the_page_has_no_line(world, django_assert_num_queries) -> None:
    principal = principal_for(world.learner.user, world.org)
    with django_assert_num_queries(0):
        assert registry.transcript_links(principal=principal, membership=world.learner, completion_ids=[]) == {}


def test_the_transcript_costs_the_same_queries_for_3_or_30_certified_lines(
    world, template, moved_clock, no_render, client, django_assert_max_num_queries
):
    client.force_login(world.learner.user)
    for n, award in enumerate(more_awards(world, template, 3)):
        issue_for(award, world.learner, NOW - dt.timedelta(days=n + 1))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(TRANSCRIPT).status_code == 200
    few = len(captured.captured_queries)
    for n, award in enumerate(more_awards(world, template, 30, start=3)):
        issue_for(award, world.learner, NOW - dt.timedelta(days=n + 10))
    with django_assert_max_num_queries(few):
        html = client.get(TRANSCRIPT).content.decode()
    assert html.count(">Certificate<span") == 33
