"""The officer's program pages: the form with its errors per field and its preview, create → activate → the
program's people, one person's "why", permissions from the attacker's side, and constant query counts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.compliance import evaluation, services
from syllabus.compliance.models import Assignment, Program, ProgramAcknowledgement, Signature
from tests.compliance.conftest import Builder, Clock, complete, make_audience, make_course
from tests.conftest import World
from tests.factories import MembershipFactory, grant

SignIn = Callable[[Membership], Client]


@pytest.fixture
def as_person(client: Client) -> SignIn:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def url(name: str, *args: int) -> str:
    return reverse(f"compliance:{name}", args=args)


def form_data(audience, courses, **overrides) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "name": "Anti-bribery 2026",
        "requirement": "course",
        "course_ids": [c.pk for c in courses],
        "audience_id": audience.pk,
        "due_rule": "after_assignment",
        "due_days": "30",
        "grace_days": "0",
        "due_soon_days": "30",
        "window_days": "0",
        "anchor": "completion",
        "lookback_days": "0",
        "reminder_days": "14, 7",
        "remind_on_due": "on",
        "overdue_every_days": "7",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the form -------------------------------------------------------------------------------------------------------


def test_the_form_shows_each_error_on_its_field_and_saves_nothing(
    world: World, officer, sales, course, as_person: SignIn, moved_clock: Clock
) -> None:
    client = as_person(officer)
    assert client.get(url("program-new")).status_code == 200
    response = client.post(url("program-new"), form_data(sales, [], name="", due_days="", min_score="abc"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    # Every error in one round: the form's own (types) and the service's words on their fields.
    assert errors["name"] == ["This field is required."]
    assert errors["min_score"] == ["Enter a number."]
    assert errors["course_ids"] == [services.COURSES_REQUIRED]
    assert "due_days" in errors
    assert not Program.objects.exists()
    text = _text(response)
    assert "Please correct the errors below." in text
    assert 'href="#id_course_ids"' in text
    response = client.post(
        url("program-new"), form_data(sales, [course], require_signature="on", reminder_days="30, x")
    )
    errors = response.context["form"].errors
    assert set(errors) == {"signature_meaning", "reminder_days"}
    assert not Program.objects.exists()


def test_an_officer_creates_previews_and_activates_a_program_and_sees_its_people(
    world: World, officer, sales, course, as_person: SignIn, moved_clock: Clock, django_capture_on_commit_callbacks
) -> None:
    client = as_person(officer)
    # The Preview button with htmx: a fragment saying who would be assigned; nothing is saved.
    preview = client.post(url("program-preview"), form_data(sales, [course]), headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert "When the program is active, 4 people will be assigned." in _text(preview)
    assert "<html" not in preview.content.decode()
    # Without JavaScript, the Preview button posts the form to its own page, which comes back with the preview.
    page = client.post(url("program-new"), {**form_data(sales, [course]), "action": "preview"})
    assert page.status_code == 200 and "4 people will be assigned" in _text(page)
    assert not Program.objects.exists()

    response = client.post(url("program-new"), {**form_data(sales, [course]), "action": "save"})
    program = Program.objects.get()
    assert response.status_code == 302 and response["Location"] == url("program", program.pk)
    assert program.status == "draft" and program.reminder_days == [14, 7]
    detail = client.get(url("program", program.pk))
    assert "This program is a draft" in _text(detail) and detail.context["can_activate"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("program-activate", program.pk))
    detail = client.get(url("program", program.pk))
    text = _text(detail)
    assert detail.context["total"] == 4
    assert {c.code: c.count for c in detail.context["counts"]}["due_soon"] == 4
    assert "Due 30 days after assignment" in text and "One-off" in text
    assert "Lena Learner" in text and "1 April 2026" in text
    # The counts link to the filtered table.
    overdue = client.get(url("program", program.pk), {"status": "overdue"})
    assert overdue.context["people"] == [] and "Nobody matches these filters." in _text(overdue)
    east = client.get(url("program", program.pk), {"unit": world.sales_east.pk})
    assert {row.assignment.membership.user.display_name for row in east.context["people"]} == {
        "Ivan Indirect",
        "Lena Learner",
    }
    found = client.get(url("program", program.pk), {"q": "rita"})
    assert [row.assignment.membership_id for row in found.context["people"]] == [world.report.pk]

    listing = client.get(url("programs"))
    [row] = listing.context["rows"]
    assert (row.in_scope, row.good, row.percent) == (4, 0, 0)
    assert "New program" in _text(listing)


def test_editing_an_active_program_previews_who_changes_then_saves(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_person(officer)
    form = client.get(url("program-edit", program.pk))
    assert form.status_code == 200
    assert form.context["form"].initial["course_ids"] == [course.pk]
    # Due 10 days after assignment: everyone still due soon, with a new due date.
    changed = {**form_data(sales, [course], due_days="10", enroll=None), "program": program.pk}
    preview = client.post(url("program-preview"), changed, headers={"HX-Request": "true"})
    result = preview.context["preview"]
    assert (result.joining, result.leaving, result.due_changes) == (0, 0, 4)
    assert "4 people get a new due date" in _text(preview)
    # Due 0 days after assignment with no grace: everyone is overdue tomorrow but due today... a fixed past date
    # makes them overdue at once.
    past = {**changed, "due_rule": "fixed", "due_on": "2026-02-01"}
    preview = client.post(url("program-preview"), past, headers={"HX-Request": "true"})
    assert preview.context["preview"].status_changes == {("due_soon", "overdue"): 4}
    assert "4 people go from Due soon to Overdue" in _text(preview)

    response = client.post(url("program-edit", program.pk), {**changed, "action": "save"})
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.due_days == 10 and program.revision == 2


def test_the_preview_asks_for_a_valid_form_first(world: World, officer, sales, as_person: SignIn) -> None:
    client = as_person(officer)
    preview = client.post(url("program-preview"), form_data(sales, [], name=""), headers={"HX-Request": "true"})
    assert preview.status_code == 200
    text = _text(preview)
    assert "Correct the errors in the form to see the preview." in text
    assert '<a href="#id_name">Name: This field is required.</a>' in text


def test_archive_and_re_evaluate_are_for_officers_and_say_what_happened(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_person(officer)
    complete(world.learner, course, moved_clock.now)
    response = client.post(url("program-evaluate", program.pk), follow=True)
    assert "Re-evaluated 4 people. 1 status changed." in _text(response)
    assert Assignment.objects.get(program=program, membership=world.learner).status == "compliant"
    response = client.post(url("program-archive", program.pk), follow=True)
    assert "The program is archived." in _text(response)
    program.refresh_from_db()
    assert program.status == "archived"
    # Archived: no edit, and a second archive is refused politely.
    assert client.get(url("program-edit", program.pk)).status_code == 302
    response = client.post(url("program-archive", program.pk), follow=True)
    assert services.NOT_ACTIVE in _text(response)


# --- one person -----------------------------------------------------------------------------------------------------


def test_a_persons_page_explains_their_standing_with_evidence_signature_and_history(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], valid_months=12, window_days=30)
    completion = complete(world.learner, course, moved_clock.now, score="92.5")
    Completion = type(completion)
    Completion.objects.filter(pk=completion.pk).update(version_label="2.1")
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    Signature.objects.create(
        organization=world.org,
        user=world.learner.user,
        membership=world.learner,
        signer_name="Lena Learner",
        meaning="I completed this training",
        signed_at=moved_clock.now,
        method="password",
        record_type="completion",
        record_id=completion.pk,
        program=program,
        payload={},
        record_hash="ab" * 32,
    )
    client = as_person(officer)
    page = client.get(url("program-person", program.pk, world.learner.pk))
    assert page.status_code == 200
    text = _text(page)
    assert "Compliant until 1 March 2027; recertification opens 31 January 2027" in text
    assert "Anti-bribery" in text and "2.1" in text and "92.5%" in text
    assert "I completed this training" in text and "ab" * 32 in text and "Password" in text
    assert [label for _, label, _ in page.context["ledger"]] == ["Due soon", "Compliant"]
    # The person sees their own page; another learner does not.
    assert as_person(world.learner).get(url("program-person", program.pk, world.learner.pk)).status_code == 200
    assert as_person(world.engineer).get(url("program-person", program.pk, world.learner.pk)).status_code == 403


def test_an_acknowledgement_shows_the_statement_that_was_acknowledged(
    world: World, officer, sales, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [], requirement="acknowledgement", statement="I will not take bribes.")
    assignment = Assignment.objects.get(program=program, membership=world.learner)
    ProgramAcknowledgement.objects.create(
        organization=world.org,
        program=program,
        assignment=assignment,
        membership=world.learner,
        cycle=1,
        statement=program.statement,
        statement_digest="0" * 64,
        acknowledged_at=moved_clock.now,
    )
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    page = as_person(officer).get(url("program-person", program.pk, world.learner.pk))
    text = _text(page)
    assert "Compliant (does not expire)" in text
    assert "Acknowledged the statement on 2 March 2026 09:30" in text and "I will not take bribes." in text
    detail = as_person(officer).get(url("program", program.pk))
    assert "Acknowledge a statement" in _text(detail)


def test_an_extended_due_date_shows_the_original(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    Assignment.objects.filter(program=program, membership=world.learner).update(
        due_on=dt.date(2026, 5, 1), original_due_on=dt.date(2026, 4, 1)
    )
    page = as_person(officer).get(url("program-person", program.pk, world.learner.pk))
    assert "(extended; originally 1 April 2026)" in _text(page)


# --- permissions, from the attacker's side --------------------------------------------------------------------------


def test_a_learner_is_forbidden_the_officer_pages(
    world: World, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_person(world.learner)
    assert client.get(url("programs")).status_code == 403
    assert client.get(url("program-new")).status_code == 403
    assert client.get(url("program", program.pk)).status_code == 403
    assert client.get(url("program-edit", program.pk)).status_code == 403
    for name in ("program-activate", "program-archive", "program-evaluate"):
        assert client.post(url(name, program.pk)).status_code == 403
    assert client.post(url("program-preview"), form_data(sales, [course])).status_code == 403
    assert client.post(url("program-new"), form_data(sales, [course])).status_code == 403
    assert Program.objects.get().status == "active"


def test_another_organisations_program_and_people_are_not_found(
    world: World, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    client = as_person(world.outsider)  # an org admin of Globex
    assert client.get(url("program", program.pk)).status_code == 404
    assert client.get(url("program-edit", program.pk)).status_code == 404
    assert client.post(url("program-archive", program.pk)).status_code == 404
    assert client.get(url("program-person", program.pk, world.learner.pk)).status_code == 404
    # Nor can a program of this organisation be previewed against another's id.
    assert client.post(url("program-preview"), {"program": program.pk}).status_code == 404
    # And its own list does not show it.
    assert client.get(url("programs")).context["rows"] == []


def test_a_manager_sees_only_their_people_and_no_officer_actions(
    world: World, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    draft = build.program(sales, [course], name="Draft one", activate=False)
    client = as_person(world.manager)
    listing = client.get(url("programs"))
    assert [row.program for row in listing.context["rows"]] == [program]
    assert listing.context["rows"][0].in_scope == 2 and "New program" not in _text(listing)
    detail = client.get(url("program", program.pk))
    assert {row.assignment.membership_id for row in detail.context["people"]} == {
        world.report.pk,
        world.indirect_report.pk,
    }
    assert detail.context["total"] == 2 and not detail.context["can_manage"]
    assert "Re-evaluate now" not in _text(detail)
    assert client.get(url("program", draft.pk)).status_code == 404
    assert client.get(url("program-person", program.pk, world.report.pk)).status_code == 200
    assert client.get(url("program-person", program.pk, world.learner.pk)).status_code == 403


# --- query counts ---------------------------------------------------------------------------------------------------


def _grow(world: World, sales, programs: list[Program], people: int) -> None:  # type: ignore[no-untyped-def]
    for _index in range(people):
        MembershipFactory(organization=world.org, org_unit=world.sales)
    audience_services.audience_recompute(audience=sales)
    for program in programs:
        evaluation.evaluate_program(program, full=True)


def test_the_list_and_a_programs_page_cost_the_same_queries_for_more_people_and_programs(
    world: World,
    officer,
    sales,
    course,
    build: Builder,
    as_person: SignIn,
    moved_clock: Clock,
    django_assert_max_num_queries,
) -> None:
    first = build.program(sales, [course])
    client = as_person(officer)
    client.get(url("programs"))  # warm the session and the principal's caches
    with django_assert_max_num_queries(30) as small_list:
        client.get(url("programs"))
    list_budget = len(small_list.captured_queries)  # read now: the connection keeps only the last queries
    with django_assert_max_num_queries(30) as small_detail:
        client.get(url("program", first.pk))
    detail_budget = len(small_detail.captured_queries)
    other = make_course(world, "Fire safety")
    everyone = make_audience(world, "Everyone", {"org_unit": world.hq.pk, "include_sub_units": True})
    programs = [first, build.program(everyone, [other, course], name="Fire", requirement="all")]
    programs.append(build.program(sales, [], name="Code of conduct", requirement="acknowledgement", statement="Ok"))
    _grow(world, sales, programs, 30)
    client.get(url("programs"))  # new programs forget the gate's cached flag: read it again before measuring
    with django_assert_max_num_queries(list_budget):
        response = client.get(url("programs"))
    assert len(response.context["rows"]) == 3
    with django_assert_max_num_queries(detail_budget):
        response = client.get(url("program", first.pk))
    assert response.context["total"] == 34 and len(response.context["people"]) == 25


def test_a_persons_page_costs_the_same_queries_with_a_longer_history(
    world: World,
    officer,
    sales,
    course,
    build: Builder,
    as_person: SignIn,
    moved_clock: Clock,
    django_assert_max_num_queries,
) -> None:
    program = build.program(sales, [course], valid_months=1)
    # The learner recertifies every month; Rita completes once, at the end.
    for months in range(5):
        moved_clock.to(dt.date(2026, 3 + months, 5))
        complete(world.learner, course, moved_clock.now)
        evaluation.evaluate_program(program, full=True)
    complete(world.report, course, moved_clock.now)
    evaluation.evaluate_program(program, full=True)
    client = as_person(officer)
    # Warm up: the session refreshes itself once after the clock moved, which is not the page's cost.
    client.get(url("program-person", program.pk, world.report.pk))
    with django_assert_max_num_queries(30) as short:
        response = client.get(url("program-person", program.pk, world.report.pk))
    budget = len(short.captured_queries)  # read now: the connection keeps only the last queries
    assert response.context["closed"] == [] and len(response.context["completions"]) == 1
    with django_assert_max_num_queries(budget):
        response = client.get(url("program-person", program.pk, world.learner.pk))
    assert len(response.context["closed"]) >= 3 and len(response.context["ledger"]) >= 6


def test_an_auditor_reads_every_page_but_changes_nothing(
    world: World, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    auditor = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(auditor, "auditor")
    client = as_person(auditor)
    listing = client.get(url("programs"))
    assert listing.status_code == 200 and listing.context["rows"][0].in_scope == 4
    assert "New program" not in _text(listing)
    detail = client.get(url("program", program.pk))
    assert detail.context["total"] == 4 and not detail.context["can_manage"]
    assert client.get(url("program-person", program.pk, world.learner.pk)).status_code == 200
    assert client.get(url("program-edit", program.pk)).status_code == 403
    assert client.post(url("program-evaluate", program.pk)).status_code == 403


def test_an_officer_for_part_of_the_tree_is_no_officer(world: World, sales, as_person: SignIn) -> None:
    # compliance.manage counts only organisation-wide: granted over a subtree it opens no program page.
    person = MembershipFactory(organization=world.org, org_unit=world.sales)
    grant(person, "compliance_officer", org_unit=world.sales)
    client = as_person(person)
    assert client.get(url("program-new")).status_code == 403


# --- the UX review's fixes ------------------------------------------------------------------------------------------


def test_the_hidden_attribute_wins_over_the_grid_of_a_field_and_badges_have_colours() -> None:
    from django.contrib.staticfiles import finders

    base = open(finders.find("web/syllabus.css"), encoding="utf-8").read()  # noqa: SIM115
    # program_form.js hides the fields that do not apply with `hidden`; `.field { display: grid }` must not undo it.
    assert "[hidden] { display: none !important; }" in base
    compliance = open(finders.find("compliance/compliance.css"), encoding="utf-8").read()  # noqa: SIM115
    for code in ("overdue", "expired", "due_soon", "compliant", "exempt", "not_yet_due"):
        assert f".status-{code}" in compliance


def test_the_late_filter_lists_overdue_and_expired_people_and_the_list_links_to_it(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], valid_months=12)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    moved_clock.to(dt.date(2027, 3, 10))
    evaluation.evaluate_program(program)
    client = as_person(officer)
    listing = client.get(url("programs"))
    assert f'href="{url("program", program.pk)}?status=late"' in listing.content.decode()
    assert "compliance/compliance.css" in listing.content.decode()

    def names(**query: object) -> set[str]:
        response = client.get(url("program", program.pk), query)
        assert response.status_code == 200
        return {row.assignment.membership.user.display_name for row in response.context["people"]}

    everyone = {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}
    assert names(status="late") == everyone
    assert names(status="expired") == {"Lena Learner"}
    assert names(status=["expired", "overdue"]) == everyone
    assert names(status=["expired", "compliant"]) == {"Lena Learner"}
    detail = client.get(url("program", program.pk), {"status": "late"})
    text = _text(detail)
    assert 'aria-current="true">Overdue or expired: 4</a>' in text
    assert '<option value="late" selected>Overdue or expired</option>' in text
    assert "status-expired" in text and "status-overdue" in text


def test_compliant_people_read_valid_until_their_last_valid_day_and_renewal_open(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course], valid_months=12, window_days=60)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    client = as_person(officer)
    page = _text(client.get(url("program-person", program.pk, world.learner.pk)))
    # The completion expires on 2 March 2027: its last valid day is 1 March, the one date the pages show.
    assert "<dt>Valid until</dt><dd>1 March 2027</dd>" in page
    assert "2 March 2027" not in page and "Expires" not in page
    moved_clock.to(dt.date(2027, 1, 15))
    evaluation.evaluate_program(program)
    page = _text(client.get(url("program-person", program.pk, world.learner.pk)))
    assert "Compliant until 1 March 2027; renewal open — complete it again by 1 March 2027" in page
    assert "Renewal open since" in page
    # Nothing to ask for while compliant.
    assert "Request an exemption or extension" not in page
    detail = client.get(url("program", program.pk))
    [row] = [r for r in detail.context["people"] if r.assignment.membership_id == world.learner.pk]
    assert row.due_text == "Valid until 1 March 2027" and row.renewal_open
    text = _text(detail)
    assert "Due or valid until" in text and "Valid until 1 March 2027" in text and "Expires" not in text


def test_an_unsigned_completion_shows_as_waiting_for_the_signature_then_counts_from_the_signing_day(
    world: World, officer, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    from tests.accounts.security.conftest import act_in
    from tests.factories import PASSWORD

    program = build.program(sales, [course], require_signature=True, signature_meaning="I did it.")
    done = complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    client = as_person(officer)
    page = _text(client.get(url("program-person", program.pk, world.learner.pk)))
    assert "Completed 2 March 2026 (Anti-bribery) — waiting for the person's signature" in page
    detail = client.get(url("program", program.pk))
    waiting = {r.assignment.membership_id for r in detail.context["people"] if r.waiting_signature}
    assert waiting == {world.learner.pk}
    assert "Completed, waiting for the signature" in _text(detail)

    learner = Client()
    act_in(learner, world.learner)
    assignment = Assignment.objects.get(program=program, membership=world.learner, ended_at__isnull=True)
    signed = learner.post(reverse("compliance:my-sign", args=[assignment.pk, done.pk]), {"password": PASSWORD})
    assert signed.status_code == 302
    page = _text(as_person(officer).get(url("program-person", program.pk, world.learner.pk)))
    assert "waiting for the person" not in page
    # Two dates, each labelled: the completion's own (the table) and the day it counts from (its signature).
    assert "<dt>Counts from</dt><dd>2 March 2026 (signed 2 March 2026)</dd>" in page
    assert "<dt>Completed</dt>" not in page


def test_a_programs_page_with_signatures_costs_the_same_queries_for_more_people(
    world: World,
    officer,
    sales,
    course,
    build: Builder,
    as_person: SignIn,
    moved_clock: Clock,
    django_assert_max_num_queries,
) -> None:
    program = build.program(sales, [course], require_signature=True, signature_meaning="I did it.")
    complete(world.learner, course, moved_clock.now)
    client = as_person(officer)
    client.get(url("program", program.pk))
    with django_assert_max_num_queries(40) as small:
        client.get(url("program", program.pk))
    budget = len(small.captured_queries)
    _grow(world, sales, [program], 12)
    for person in Membership.objects.filter(organization=world.org, org_unit=world.sales)[:8]:
        complete(person, course, moved_clock.now)
    with django_assert_max_num_queries(budget):
        response = client.get(url("program", program.pk))
    assert sum(1 for row in response.context["people"] if row.waiting_signature) >= 5


def test_a_manager_picks_among_the_org_units_of_their_people_only(
    world: World, sales, course, build: Builder, as_person: SignIn, moved_clock: Clock
) -> None:
    program = build.program(sales, [course])
    manager_page = as_person(world.manager).get(url("program", program.pk))
    units = {value for value, _label in manager_page.context["filters"].fields["unit"].choices if value}
    expected = {world.report.org_unit_id, world.indirect_report.org_unit_id}
    assert units == expected
    assert world.hq.pk not in units


def test_the_preview_lists_status_changes_first_focuses_its_heading_and_names_the_button(
    world: World, officer, sales, course, as_person: SignIn, moved_clock: Clock, monkeypatch
) -> None:
    from collections import Counter

    sample = [
        {"name": "Same Status", "before": "due_soon", "after": "due_soon", "due_before": "2026-04-01",
         "due_after": "2026-04-10"},
        {"name": "New Status", "before": "due_soon", "after": "overdue", "due_before": "2026-04-01",
         "due_after": "2026-03-01"},
    ]  # fmt: skip
    fake = services.Preview(status_changes=Counter({("due_soon", "overdue"): 1}), due_changes=2, sample=sample)
    monkeypatch.setattr(services, "program_preview", lambda **kwargs: fake)
    client = as_person(officer)
    fragment = client.post(url("program-preview"), form_data(sales, [course]), headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert [row["name"] for row in fragment.context["preview_sample"]] == ["New Status", "Same Status"]
    assert '<h2 id="preview-heading" tabindex="-1">' in html
    # Only the summary is a live region, not the sample table.
    assert html.count("aria-live") == 1 and html.index("aria-live") < html.index("<table")
    assert "Nothing is saved until you choose Create program." in html
    page = client.get(url("program-new")).content.decode()
    assert "aria-live" not in page.split('id="preview"')[1].split(">")[0]
