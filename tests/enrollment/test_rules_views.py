"""The enrollment-rule pages of a course: for enrollment administrators only, from the attacker's side too, with
constant query counts, and the button that moves learners of older versions."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.audiences import services as audience_services
from syllabus.audiences.models import Audience
from syllabus.catalog.models import Activity, Course
from syllabus.enrollment import services
from syllabus.enrollment.models import Enrollment, EnrollmentRule, Method, Status
from tests.conftest import World
from tests.factories import ActivityFactory, CourseFactory, MembershipFactory, grant, publish

SignIn = Callable[[Membership], Client]


@pytest.fixture
def as_person(client: Client) -> SignIn:
    def sign_in(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return sign_in


def _audience(world: World, name: str, rules: dict[str, object]) -> Audience:
    audience = audience_services.audience_create(
        organization=world.org, by=world.org_admin.user, name=name, rules_tree=rules
    )
    audience_services.audience_recompute(audience=audience)
    audience.refresh_from_db()
    return audience


@pytest.fixture
def sales(world: World) -> Audience:
    return _audience(world, "Sales", {"org_unit": world.sales.pk, "include_sub_units": True})


def rules_url(course: Course, name: str = "rules", *args: int) -> str:
    return reverse(f"enrollment:{name}", args=[course.pk, *args])


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


# --- the list and adding a rule -------------------------------------------------------------------------------------


def test_an_org_admin_adds_a_rule_is_told_it_runs_in_the_background_and_sees_the_result(
    world: World, published: Course, sales: Audience, as_person: SignIn, django_capture_on_commit_callbacks
) -> None:
    client = as_person(world.org_admin)
    empty = client.get(rules_url(published))
    assert empty.status_code == 200 and "No rules yet" in _text(empty)
    form = client.get(rules_url(published, "rule-create"))
    assert form.status_code == 200 and "Sales (4 people)" in _text(form)
    with django_capture_on_commit_callbacks(execute=True):
        # The page after the redirect is drawn before the commit: the run has not happened yet.
        response = client.post(
            rules_url(published, "rule-create"),
            {"audience": sales.pk, "due_from": "enrollment", "due_days": "14", "on_leave": "withdraw"},
            follow=True,
        )
    assert response.redirect_chain == [(rules_url(published), 302)]
    text = _text(response)
    assert "Rule added. Enrolling 4 people from Sales in the background." in text
    assert response.context["rows"][0].pending and "Enrolling in the background" in text
    # On reload, the result.
    reloaded = client.get(rules_url(published))
    [row] = reloaded.context["rows"]
    assert (row.rule.audience, row.rule.enrollment_count, row.due) == (sales, 4, "14 days after enrollment")
    assert row.on_leave == "Withdrawn (unless completed)" and not row.pending
    assert Enrollment.objects.filter(course=published, method=Method.AUDIENCE, due_at__isnull=False).count() == 4
    # An audience that has a rule is not offered again.
    assert "Sales (4 people)" not in _text(client.get(rules_url(published, "rule-create")))


def test_a_rule_not_run_yet_shows_it_is_enrolling_and_the_list_refreshes_itself(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    services.rule_create(course=published, audience=sales, by=world.org_admin.user)  # queued, not run here
    client = as_person(world.org_admin)
    page = client.get(rules_url(published))
    assert "Enrolling in the background" in _text(page) and 'hx-trigger="every 3s"' in _text(page)
    fragment = client.get(rules_url(published) + "?part=rules", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<h1" not in fragment.content.decode()
    EnrollmentRule.objects.update(is_active=True)
    services.rule_apply(rule=EnrollmentRule.objects.get())
    done = client.get(rules_url(published) + "?part=rules", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in _text(done) and done.context["rows"][0].rule.enrollment_count == 4


def test_the_form_explains_a_missing_number_of_days_next_to_the_field(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    response = as_person(world.org_admin).post(
        rules_url(published, "rule-create"),
        {"audience": sales.pk, "due_from": "hire", "due_days": "", "on_leave": "keep"},
    )
    assert response.status_code == 200
    text = _text(response)
    assert 'id="id_due_days_error"' in text and "Give the number of days until the due date." in text
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_due_days_error', text)
    assert not EnrollmentRule.objects.exists()


def test_edit_pauses_the_rule_and_delete_asks_first_then_keeps_the_enrollments(
    world: World, published: Course, sales: Audience, as_person: SignIn, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    client = as_person(world.org_admin)
    edit = rules_url(published, "rule-edit", rule.pk)
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"due_from": "hire", "due_days": "30", "on_leave": "keep"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.is_active, rule.due_from, rule.due_days) == (False, "hire", 30)
    assert "Paused" in _text(client.get(rules_url(published)))

    delete = rules_url(published, "rule-delete", rule.pk)
    confirm = client.get(delete)
    assert confirm.status_code == 200 and "The 4 people this rule enrolled stay enrolled." in _text(confirm)
    assert EnrollmentRule.objects.filter(pk=rule.pk).exists()
    response = client.post(delete, follow=True)
    assert "The people it enrolled stay enrolled." in _text(response)
    assert not EnrollmentRule.objects.exists()
    assert Enrollment.objects.filter(course=published, status=Status.ACTIVE).count() == 4


# --- who may --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor"])
def test_people_without_enrollment_manage_are_refused_every_rule_page(
    world: World, published: Course, sales: Audience, as_person: SignIn, persona: str
) -> None:
    rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    client = as_person(getattr(world, persona))
    for url in (
        rules_url(published),
        rules_url(published, "rule-create"),
        rules_url(published, "rule-edit", rule.pk),
        rules_url(published, "rule-delete", rule.pk),
    ):
        assert client.get(url).status_code == 403, url
    posts = {
        rules_url(published, "rule-create"): {"audience": sales.pk, "due_from": "none", "on_leave": "keep"},
        rules_url(published, "rule-edit", rule.pk): {"due_from": "none", "on_leave": "keep"},
        rules_url(published, "rule-delete", rule.pk): {},
        rules_url(published, "rules-migrate"): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert EnrollmentRule.objects.filter(pk=rule.pk, is_active=True).count() == 1


def test_another_organisations_course_and_rules_are_not_found(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    client = as_person(world.outsider)  # an org admin, of Globex
    for url in (rules_url(published), rules_url(published, "rule-edit", rule.pk)):
        assert client.get(url).status_code == 404, url
    assert client.post(rules_url(published, "rule-delete", rule.pk)).status_code == 404
    assert EnrollmentRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_is_only_reachable_under_its_own_course(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    rule = services.rule_create(course=published, audience=sales, by=world.org_admin.user)
    other = CourseFactory(organization=world.org)
    client = as_person(world.org_admin)
    assert client.get(rules_url(other, "rule-edit", rule.pk)).status_code == 404
    assert client.post(rules_url(other, "rule-delete", rule.pk)).status_code == 404
    assert EnrollmentRule.objects.filter(pk=rule.pk).exists()


def test_an_audience_of_another_organisation_cannot_be_chosen(
    world: World, published: Course, as_person: SignIn
) -> None:
    theirs = audience_services.audience_create(
        organization=world.other_org, by=world.outsider.user, name="Globex people", rules_tree={"all": []}
    )
    client = as_person(world.org_admin)
    assert "Globex people" not in _text(client.get(rules_url(published, "rule-create")))
    response = client.post(
        rules_url(published, "rule-create"), {"audience": theirs.pk, "due_from": "none", "on_leave": "keep"}
    )
    assert response.status_code == 200 and response.context["form"].errors["audience"]
    assert not EnrollmentRule.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, published: Course) -> None:
    response = client.get(rules_url(published))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_an_enrollment_administrator_without_other_admin_rights_may_manage_rules(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    grant(world.engineer, "org_admin")
    assert as_person(world.engineer).get(rules_url(published)).status_code == 200


# --- cost -----------------------------------------------------------------------------------------------------------


def _rules(world: World, course: Course, count: int) -> None:
    for index in range(count):
        audience = audience_services.audience_create(
            organization=world.org, by=world.org_admin.user, name=f"Audience {index:03}", rules_tree={"all": []}
        )
        rule = services.rule_create(course=course, audience=audience, by=world.org_admin.user)
        Enrollment.objects.create(
            organization=world.org,
            membership=MembershipFactory(organization=world.org, org_unit=world.hq),
            course=course,
            method=Method.AUDIENCE,
            rule=rule,
            status=Status.ACTIVE,
            status_changed_at=rule.created_at,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_for_3_or_30_rules(
    world: World, published: Course, as_person: SignIn, django_assert_max_num_queries, count: int
) -> None:
    _rules(world, published, count)
    client = as_person(world.org_admin)
    # 16: the list, plus the course header with its tabs (as on the course's other pages).
    with django_assert_max_num_queries(16):
        response = client.get(rules_url(published))
    assert len(response.context["rows"]) == count
    assert {row.rule.enrollment_count for row in response.context["rows"]} == {1}


# --- versions -------------------------------------------------------------------------------------------------------


def test_the_page_shows_learners_on_older_versions_and_the_button_moves_them(
    world: World, published: Course, as_person: SignIn, django_capture_on_commit_callbacks
) -> None:
    client = as_person(world.org_admin)
    assert "Learners on older versions" not in _text(client.get(rules_url(published)))
    for member in (world.learner, world.engineer):
        services.enrollment_self(course=published, by=member.user)
    section = Activity.objects.filter(course=published).first().section  # type: ignore[union-attr]
    ActivityFactory(section=section, title="Fire doors")
    with django_capture_on_commit_callbacks(execute=True):
        publish(published, world.instructor.user)
    services.enrollment_self(course=published, by=world.report.user)
    text = _text(client.get(rules_url(published)))
    assert "Version 1.0: 2 learners in progress" in text
    assert "Move 2 learners to version 2.0" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(rules_url(published, "rules-migrate"), follow=True)
    assert "2 learners moved to the current version." in _text(response)
    assert "Learners on older versions" not in _text(response)
    published.refresh_from_db()
    assert set(Enrollment.objects.filter(course=published).values_list("version_id", flat=True)) == {
        published.published_version_id
    }


# --- the review's fixes: the course header, what "in the background" means, a worker that does not run ----------


def test_the_rules_page_has_the_course_header_with_its_tab(world: World, published: Course, as_person: SignIn) -> None:
    body = as_person(world.org_admin).get(rules_url(published)).content.decode()
    assert f"<h1>{published.title}</h1>" in body and 'class="course-tabs"' in body
    assert re.search(rf'<a href="{re.escape(rules_url(published))}" aria-current="page">Enrollment rules</a>', body)


def test_a_pending_rule_says_what_the_background_means_and_that_the_table_refreshes(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    services.rule_create(course=published, audience=sales, by=world.org_admin.user)  # queued, not run here
    text = _text(as_person(world.org_admin).get(rules_url(published)))
    assert "being enrolled by the background worker" in text and "refreshes by itself every 3 seconds" in text
    assert "Still waiting for the background worker" not in text


def test_a_rule_still_not_run_after_five_minutes_asks_to_check_the_worker(
    world: World, published: Course, sales: Audience, as_person: SignIn
) -> None:
    from syllabus.core import clock
    from syllabus.enrollment.views_rules import STALE_AFTER

    services.rule_create(course=published, audience=sales, by=world.org_admin.user)  # the worker never runs it
    EnrollmentRule.objects.update(created_at=clock.now() - STALE_AFTER - STALE_AFTER / 5)
    page = as_person(world.org_admin).get(rules_url(published))
    text = _text(page)
    assert "Still waiting for the background worker — check that it is running." in text
    assert "Enrolling in the background" not in text and page.context["rows"][0].stalled
    # It keeps looking, less often: the rule shows its result once a worker picks it up.
    assert 'hx-trigger="every 30s"' in text
