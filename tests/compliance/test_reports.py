"""Compliance reports: the dashboard's figures against a hand-built fixture, the trend and point-in-time answers
from the ledger (against a scripted history), manager scope, permissions from the attacker's side, and constant
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from syllabus.access.policy import principal_for
from syllabus.accounts import services as accounts_services
from syllabus.audiences import services as audience_services
from syllabus.compliance import evaluation, reports
from syllabus.compliance.models import Assignment, StatusCode
from tests.compliance.conftest import Builder, Clock, complete, make_course
from tests.conftest import World
from tests.factories import MembershipFactory, grant


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _principal(membership):
    return principal_for(membership.user, membership.organization)


@pytest.fixture
def auditor(world: World):
    person = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Audrey Auditor")
    grant(person, "auditor")
    return person


def _statuses(program) -> dict[str, str]:
    return {
        a.membership.user.display_name: a.status
        for a in Assignment.objects.filter(program=program, ended_at__isnull=True).select_related("membership__user")
    }


@pytest.fixture
def scripted(world: World, sales, course, build: Builder, moved_clock: Clock):
    """Sales (4 people) in a yearly program due 30 days after assignment (2026-03-02 -> due 2026-04-01):
    - Lena completes on 2026-03-10: compliant until 2027-03-10;
    - Rita gets nothing done: overdue from 2026-04-02;
    - Ivan completes on 2026-04-20 (late): overdue 04-02, compliant from 04-20;
    - Max leaves Sales on 2026-05-05 (unassigned).
    The clock ends on 2026-06-15."""
    program = build.program(sales, [course], valid_months=12, window_days=60)
    moved_clock.to(dt.date(2026, 3, 10))
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.to(dt.date(2026, 4, 5))
    evaluation.evaluate_program(program)
    moved_clock.to(dt.date(2026, 4, 20))
    complete(world.indirect_report, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.indirect_report.pk])
    moved_clock.to(dt.date(2026, 5, 5))
    accounts_services.membership_update(membership=world.manager, by=world.org_admin.user, org_unit=world.engineering)
    audience_services.audience_recompute(audience=sales)
    evaluation.evaluate_program(program)
    moved_clock.to(dt.date(2026, 6, 15))
    evaluation.evaluate_program(program)
    program.refresh_from_db()
    return program


def test_the_scripted_history_is_what_the_tests_expect(world: World, scripted) -> None:
    assert _statuses(scripted) == {"Lena Learner": "compliant", "Rita Report": "overdue", "Ivan Indirect": "compliant"}


def test_dashboard_counts_each_status_and_the_share_in_good_standing(
    world: World, scripted, officer, moved_clock: Clock
) -> None:
    board = reports.dashboard(organization=world.org, principal=_principal(officer))
    [report] = board.programs
    figures = report.figures
    assert (figures.in_scope, figures.compliant, figures.overdue, figures.expired, figures.due_soon) == (3, 2, 1, 0, 0)
    assert figures.percent == pytest.approx(66.7)
    # Lena's expiry (2027-03-10) is more than 90 days away.
    assert figures.expiring == {30: 0, 60: 0, 90: 0}
    moved_clock.to(dt.date(2027, 1, 20))
    board = reports.dashboard(organization=world.org, principal=_principal(officer))
    assert board.programs[0].figures.expiring == {30: 0, 60: 1, 90: 2}


def test_dashboard_breaks_figures_down_by_org_unit_and_filters_a_subtree(world: World, scripted, officer) -> None:
    principal = _principal(officer)
    [report] = reports.dashboard(organization=world.org, principal=principal).programs
    # One top-level unit (Acme HQ): the whole organisation shows its children straight away.
    assert [(row.unit.name, row.direct, row.figures.in_scope) for row in report.units] == [("Sales", False, 3)]
    [report] = reports.dashboard(organization=world.org, principal=principal, unit=world.sales).programs
    rows = [(row.unit.name if row.unit else None, row.direct, row.figures.in_scope) for row in report.units]
    assert rows == [("Sales", True, 1), ("Sales East", False, 2)]
    [report] = reports.dashboard(organization=world.org, principal=principal, unit=world.sales_east).programs
    assert (report.figures.in_scope, report.figures.compliant) == (2, 2)


def test_a_manager_sees_only_their_people(world: World, scripted) -> None:
    # Max left the audience, but still manages Rita (directly) and Ivan (through her).
    [report] = reports.dashboard(organization=world.org, principal=_principal(world.manager)).programs
    assert (report.figures.in_scope, report.figures.compliant, report.figures.overdue) == (2, 1, 1)


def test_trend_counts_good_standing_at_each_month_end_from_the_ledger(world: World, scripted, officer) -> None:
    points = reports.trend(programs=[scripted], principal=_principal(officer))[scripted.pk]
    assert len(points) == 12
    by_day = {p.day: (p.good, p.in_scope) for p in points}
    assert by_day[dt.date(2026, 2, 28)] == (0, 0)
    assert by_day[dt.date(2026, 3, 31)] == (1, 4)  # Lena
    assert by_day[dt.date(2026, 4, 30)] == (2, 4)  # Lena and Ivan
    assert by_day[dt.date(2026, 5, 31)] == (2, 3)  # Max left
    assert by_day[dt.date(2026, 6, 15)] == (2, 3)  # today
    assert points[-1].percent == pytest.approx(66.7)


def test_figures_are_cached_until_the_next_evaluation_and_past_months_for_the_day(
    world: World, scripted, officer, course, moved_clock: Clock, django_assert_num_queries
) -> None:
    principal = _principal(officer)
    reports.dashboard(organization=world.org, principal=principal)
    with django_assert_num_queries(2):  # the programs and the org units
        reports.dashboard(organization=world.org, principal=principal)
    moved_clock.move(minutes=5)
    complete(world.report, course, moved_clock.now)
    evaluation.evaluate_program(scripted, membership_ids=[world.report.pk])
    with django_assert_num_queries(3):  # and the counts again; the trend's past months stay cached
        [report] = reports.dashboard(organization=world.org, principal=principal).programs
    assert report.figures.compliant == 3
    # Today's point of the trend is the figures of now.
    assert (report.trend[-1].day, report.trend[-1].good, report.trend[-1].in_scope) == (dt.date(2026, 6, 15), 3, 3)


def test_drilling_down_sums_the_cached_counts_without_counting_again(
    world: World, scripted, officer, django_assert_num_queries
) -> None:
    principal = _principal(officer)
    reports.dashboard(organization=world.org, principal=principal, with_trend=False)
    # Any subtree is summed from the organisation's cached rows: the programs and the org units only.
    with django_assert_num_queries(2):
        board = reports.dashboard(organization=world.org, principal=principal, unit=world.sales, with_trend=False)
    [report] = board.programs
    assert (report.figures.in_scope, report.figures.compliant, report.figures.overdue) == (3, 2, 1)
    # The lone root is the whole organisation's page: the breadcrumb does not repeat it.
    assert [u.name for u in board.trail] == []
    board = reports.dashboard(organization=world.org, principal=principal, unit=world.sales_east, with_trend=False)
    assert [u.name for u in board.trail] == ["Sales"]


def test_dashboard_finds_org_units_by_name_with_their_parent(world: World, scripted, officer) -> None:
    board = reports.dashboard(organization=world.org, principal=_principal(officer), search="  EAST ", with_trend=False)
    assert [(unit.pk, unit.name, parent) for unit, parent in board.matches] == [
        (world.sales_east.pk, "Sales East", "Sales")
    ]
    assert reports.dashboard(organization=world.org, principal=_principal(officer), with_trend=False).matches == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 3, 1), {}),
        (
            dt.date(2026, 3, 15),
            {
                "Lena Learner": "compliant",
                "Rita Report": "due_soon",
                "Ivan Indirect": "due_soon",
                "Max Manager": "due_soon",
            },
        ),
        (
            dt.date(2026, 4, 10),
            {
                "Lena Learner": "compliant",
                "Rita Report": "overdue",
                "Ivan Indirect": "overdue",
                "Max Manager": "overdue",
            },
        ),
        (
            dt.date(2026, 5, 20),
            {"Lena Learner": "compliant", "Rita Report": "overdue", "Ivan Indirect": "compliant"},
        ),
    ],
)
def test_point_in_time_answers_from_the_ledger(world: World, scripted, officer, day, expected) -> None:
    answer = reports.point_in_time(program=scripted, on=day, principal=_principal(officer))
    assert {row.membership.user.display_name: row.status for row in answer.rows} == expected
    assert answer.total == len(expected)
    assert answer.counts[StatusCode.COMPLIANT] == sum(1 for s in expected.values() if s == "compliant")


def test_point_in_time_cross_checks_the_audience_of_that_day(world: World, scripted, officer) -> None:
    answer = reports.point_in_time(program=scripted, on=dt.date(2026, 5, 20), principal=_principal(officer))
    assert (answer.in_audience_not_assigned, answer.assigned_not_in_audience) == (0, 0)
    # A new joiner of Sales whom the evaluation has not reached yet: in the audience, not yet assigned.
    MembershipFactory(organization=world.org, org_unit=world.sales, user__display_name="Nina New")
    audience_services.audience_recompute(audience=scripted.audience)
    today = reports.point_in_time(program=scripted, on=dt.date(2026, 6, 15), principal=_principal(officer))
    assert (today.total, today.in_audience_not_assigned, today.assigned_not_in_audience) == (3, 1, 0)


def test_point_in_time_filters_by_status_and_scope(world: World, scripted) -> None:
    answer = reports.point_in_time(
        program=scripted, on=dt.date(2026, 4, 10), principal=_principal(world.manager), status="overdue"
    )
    assert sorted(row.membership.user.display_name for row in answer.rows) == ["Ivan Indirect", "Rita Report"]
    assert answer.total == 2


# --- pages and API -----------------------------------------------------------------------------------------------


def test_dashboard_page_shows_the_figures_the_chart_data_and_drill_down_links(client, world: World, scripted, officer):
    client.force_login(officer.user)
    response = client.get(reverse("compliance:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anti-bribery 2026" in html
    assert 'type="application/json"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "66.7" in html


def test_dashboard_page_drills_down_by_links_with_a_breadcrumb_and_no_list_of_every_unit(
    client, world: World, scripted, officer
) -> None:
    client.force_login(officer.user)
    url = reverse("compliance:dashboard")
    html = client.get(url, {"unit": world.sales.pk}).content.decode()
    assert "<select" not in html
    assert f'href="?unit={world.sales_east.pk}"' in html  # the breakdown's units drill down
    assert f'href="{url}"' in html  # the breadcrumb back up
    assert 'aria-current="page">Sales<' in html
    html = client.get(url, {"unit": world.sales_east.pk}).content.decode()
    assert f'<li><a href="?unit={world.sales.pk}">Sales</a></li>' in html
    html = client.get(url, {"q": "east"}).content.decode()
    assert f'href="?unit={world.sales_east.pk}">Sales East</a>' in html
    assert "No org unit has that in its name." in client.get(url, {"q": "nowhere"}).content.decode()


def test_dashboard_page_refuses_a_learner_and_hides_other_organisations(client, world: World, scripted) -> None:
    client.force_login(world.learner.user)
    assert client.get(reverse("compliance:dashboard")).status_code == 403
    assert client.get(reverse("compliance:point-in-time")).status_code == 403
    assert client.get(reverse("compliance:evidence")).status_code == 403


def test_another_organisations_program_or_unit_is_not_found(client, world: World, scripted) -> None:
    client.force_login(world.outsider.user)
    response = client.get(reverse("compliance:point-in-time"), {"program": scripted.pk, "on": "2026-05-20"})
    assert response.status_code == 404
    response = client.get(reverse("compliance:dashboard"), {"unit": world.sales.pk})
    assert response.status_code == 404


def test_point_in_time_page_and_csv(client, world: World, scripted, officer) -> None:
    client.force_login(officer.user)
    url = reverse("compliance:point-in-time")
    response = client.get(url, {"program": scripted.pk, "on": "2026-04-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rita Report" in html and "Overdue" in html
    response = client.get(url, {"program": scripted.pk, "on": "2026-04-10", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert len(lines) == 5 and "Lena Learner" in body


def test_manager_sees_the_dashboard_of_their_people_but_cannot_export_evidence(client, world: World, scripted) -> None:
    client.force_login(world.manager.user)
    response = client.get(reverse("compliance:dashboard"))
    assert response.status_code == 200
    assert "Lena Learner" not in response.content.decode()
    assert client.get(reverse("compliance:evidence")).status_code == 403


def test_dashboard_api(client, world: World, scripted, auditor) -> None:
    client.force_login(auditor.user)
    response = client.get(reverse("api:v1:compliance-dashboard"))
    assert response.status_code == 200
    [program] = response.json()["programs"]
    assert program["figures"]["in_scope"] == 3 and program["figures"]["percent_compliant"] == 66.7
    assert len(program["trend"]) == 12 and program["units"][0]["unit"]["name"] == "Sales"


def test_point_in_time_api(client, world: World, scripted, auditor) -> None:
    client.force_login(auditor.user)
    url = reverse("api:v1:compliance-point-in-time")
    response = client.get(url, {"program": scripted.pk, "on": "2026-04-10"})
    assert response.status_code == 200
    data = response.json()
    assert data["counts"]["overdue"] == 3 and data["total"] == 4
    assert {row["status"] for row in data["results"]} == {"compliant", "overdue"}
    assert client.get(url, {"program": scripted.pk, "on": "not a day"}).status_code == 400


def test_reports_api_refuses_learners_and_outsiders(client, world: World, scripted) -> None:
    client.force_login(world.learner.user)
    assert client.get(reverse("api:v1:compliance-dashboard")).status_code == 403
    client.force_login(world.outsider.user)
    url = reverse("api:v1:compliance-point-in-time")
    assert client.get(url, {"program": scripted.pk, "on": "2026-04-10"}).status_code == 404


# --- query counts --------------------------------------------------------------------------------------------------


def _grow(world: World, sales, programs, count: int) -> None:
    for index in range(count):
        MembershipFactory(organization=world.org, org_unit=world.sales_east, user__display_name=f"Extra {index:03d}")
    audience_services.audience_recompute(audience=sales)
    for program in programs:
        evaluation.evaluate_program(program)


@pytest.mark.parametrize("view", ["compliance:dashboard", "compliance:point-in-time"])
def test_report_pages_take_a_constant_number_of_queries(
    client, world: World, sales, build: Builder, officer, moved_clock: Clock, django_assert_max_num_queries, view
) -> None:
    first = build.program(sales, [make_course(world, "Fire safety")], name="Fire safety", valid_months=12)
    second = build.program(sales, [make_course(world, "Data protection")], name="Data protection")
    client.force_login(officer.user)
    params = {"program": first.pk, "on": "2026-03-02"} if view.endswith("time") else {}
    cache.clear()
    client.get(reverse(view), params)  # warm up per-process caches (sessions, grants)
    counts = []
    for extra in (0, 20):
        _grow(world, sales, [first, second], extra)
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(view), params).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        cache.clear()
        client.get(reverse(view), params)


def test_dashboard_api_takes_a_constant_number_of_queries(
    client, world: World, sales, build: Builder, officer, moved_clock: Clock
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    program = build.program(sales, [make_course(world, "Fire safety")], name="Fire safety")
    client.force_login(officer.user)
    client.get(reverse("api:v1:compliance-dashboard"))
    counts = []
    for extra in (0, 20):
        _grow(world, sales, [program], extra)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("api:v1:compliance-dashboard")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


# --- fixes after the review (X2) -----------------------------------------------------------------------------------


def test_a_change_of_team_is_not_answered_from_the_old_teams_cached_figures(world: World, scripted) -> None:
    from syllabus.accounts.models import Membership

    [report] = reports.dashboard(organization=world.org, principal=_principal(world.manager)).programs
    assert report.figures.in_scope == 2
    # Lena now reports to Max: no evaluation runs, the programs' stamps do not move, the cache is still warm.
    Membership.objects.filter(pk=world.learner.pk).update(manager=world.manager)
    manager = Membership.objects.select_related("user").get(pk=world.manager.pk)  # a fresh principal
    [report] = reports.dashboard(organization=world.org, principal=_principal(manager)).programs
    assert (report.figures.in_scope, report.figures.compliant) == (3, 2)


def test_a_manager_gets_only_programs_with_their_people_and_a_tree_from_their_units(
    world: World, scripted, build: Builder
) -> None:
    from tests.compliance.conftest import make_audience

    engineering = make_audience(world, "Engineering", {"org_unit": world.engineering.pk, "include_sub_units": True})
    build.program(engineering, [make_course(world, "Laser safety")], name="Laser safety")
    names = [
        r.program.name for r in reports.dashboard(organization=world.org, principal=_principal(world.manager)).programs
    ]
    assert names == ["Anti-bribery 2026"]
    # Max sees Rita (in Sales) and Ivan (in Sales East): the tree starts at Sales, not at Acme HQ.
    board = reports.dashboard(organization=world.org, principal=_principal(world.manager), with_trend=False)
    [report] = board.programs
    assert [(row.unit.name, row.direct, row.figures.in_scope) for row in report.units] == [
        ("Sales", True, 1),
        ("Sales East", False, 1),
    ]
    board = reports.dashboard(
        organization=world.org, principal=_principal(world.manager), unit=world.sales_east, with_trend=False
    )
    assert board.trail == []  # never Acme HQ, which is above their people
    officer_names = [
        r.program.name for r in reports.dashboard(organization=world.org, principal=_principal(build.officer)).programs
    ]
    assert officer_names == ["Anti-bribery 2026", "Laser safety"]  # officers see every active program


def test_manager_dashboard_page_starts_at_their_people(client, world: World, scripted) -> None:
    client.force_login(world.manager.user)
    html = client.get(reverse("compliance:dashboard")).content.decode()
    assert "All your people" in html and "Whole organisation" not in html
    assert "Acme HQ" not in html


def test_dashboard_counts_link_to_the_people_page_by_status_and_unit(client, world: World, scripted, officer) -> None:
    client.force_login(officer.user)
    html = client.get(reverse("compliance:dashboard")).content.decode()
    people = reverse("compliance:program", args=[scripted.pk])
    assert f'href="{people}?status=overdue"' in html
    assert f'href="{people}?status=overdue&amp;unit={world.sales.pk}"' in html
    html = client.get(reverse("compliance:dashboard"), {"unit": world.sales.pk}).content.decode()
    assert f'href="{people}?status=overdue&amp;unit={world.sales.pk}"' in html  # the picked unit's figures
    assert f'?status=overdue&amp;unit={world.sales_east.pk}"' not in html  # Sales East has nobody overdue
    # The link answers with that filter on the people page.
    response = client.get(people, {"status": "overdue", "unit": world.sales.pk})
    assert response.status_code == 200 and "Rita Report" in response.content.decode()


def test_report_pages_mark_the_current_tab_and_make_scrolling_tables_reachable(
    client, world: World, scripted, officer
) -> None:
    import re

    client.force_login(officer.user)
    for url, params in (
        (reverse("compliance:dashboard"), {}),
        (reverse("compliance:point-in-time"), {"program": scripted.pk, "on": "2026-04-10"}),
    ):
        html = client.get(url, params).content.decode()
        assert "compliance/reports.css" in html and 'class="actions report-tabs"' in html
        wraps = re.findall(r'<div class="table-wrap"([^>]*)>', html)
        assert wraps
        for attributes in wraps:
            assert 'tabindex="0"' in attributes and 'role="region"' in attributes
            [labelled] = re.findall(r'aria-labelledby="([^"]+)"', attributes)
            assert f'id="{labelled}"' in html


def test_trend_chart_labels_months_alike_and_today(client, world: World, scripted, officer) -> None:
    import json
    import re

    client.force_login(officer.user)
    html = client.get(reverse("compliance:dashboard")).content.decode()
    data = json.loads(re.search(rf'<script id="trend-{scripted.pk}" type="application/json">(.*?)</script>', html)[1])
    assert data["labels"][-1] == "Today"
    assert data["labels"][-2] == "May 2026" and data["labels"][0] == "July 2025"


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("1899-12-31", "Pick a day between 1 January 1900 and 31 December 2200."),
        ("9999-12-31", "Pick a day between 1 January 1900 and 31 December 2200."),
        ("2026-06-16", "That day has not come yet: pick today or a day before it."),
    ],
)
def test_point_in_time_refuses_days_out_of_bounds_on_the_field(
    client, world: World, scripted, officer, on, message
) -> None:
    client.force_login(officer.user)
    response = client.get(reverse("compliance:point-in-time"), {"program": scripted.pk, "on": on})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'id="id_on_error"' in html
    api = client.get(reverse("api:v1:compliance-point-in-time"), {"program": scripted.pk, "on": on})
    assert api.status_code == 400 and message in str(api.json())


def test_point_in_time_before_the_program_was_active_says_so(client, world: World, scripted, officer) -> None:
    client.force_login(officer.user)
    response = client.get(reverse("compliance:point-in-time"), {"program": scripted.pk, "on": "2026-03-01"})
    html = response.content.decode()
    assert "The program was not active yet on 1 March 2026." in html
    assert "Download as CSV" not in html
    api = client.get(reverse("api:v1:compliance-point-in-time"), {"program": scripted.pk, "on": "2026-03-01"})
    assert api.status_code == 200 and api.json()["active_since"] == "2026-03-02" and api.json()["total"] == 0


def test_point_in_time_pages_and_status_filter_read_the_held_rows_once(
    client, world: World, scripted, officer, django_assert_num_queries, monkeypatch
) -> None:
    from syllabus.compliance import views_reports

    monkeypatch.setattr(views_reports, "PAGE_SIZE", 2)
    principal = _principal(officer)
    answer = reports.point_in_time(program=scripted, on=dt.date(2026, 4, 10), principal=principal)
    with django_assert_num_queries(1):  # a page of rows by id
        names = [row.membership.user.display_name for row in answer.rows[2:4]]
    assert names == ["Max Manager", "Rita Report"]
    assert [r.membership.user.display_name for r in answer.rows] == [
        "Ivan Indirect",
        "Lena Learner",
        "Max Manager",
        "Rita Report",
    ]
    client.force_login(officer.user)
    html = client.get(
        reverse("compliance:point-in-time"), {"program": scripted.pk, "on": "2026-04-10", "page": 2}
    ).content.decode()
    assert "Rita Report" in html and "Lena Learner" not in html
