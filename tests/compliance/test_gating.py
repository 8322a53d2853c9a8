"""The compliance gate: people overdue in a gating program are sent to "My compliance" — pages only, never the
API — while the course they must take, signing, security and sign-out stay open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.compliance import evaluation
from syllabus.compliance.models import Program
from tests.accounts.security.conftest import act_in, sign_in_with_password
from tests.api.conftest import token_for
from tests.compliance.conftest import Builder, Clock, complete, make_course
from tests.conftest import World

pytestmark = pytest.mark.django_db

MINE = reverse("compliance:mine")
HOME = reverse("web:home")
GATE = "syllabus.compliance.middleware.ComplianceGateMiddleware"


@pytest.fixture(autouse=True)
def gate_on(settings) -> None:
    """The gate in place, right after the two-factor gate (where the lead adds it for real)."""
    middleware = list(settings.MIDDLEWARE)
    if GATE not in middleware:
        middleware.insert(middleware.index("syllabus.accounts.middleware.TwoFactorMiddleware") + 1, GATE)
    settings.MIDDLEWARE = middleware


@pytest.fixture
def gated(build: Builder, sales, course) -> Program:
    """Due on 1 February 2026, so everyone in Sales is overdue from their assignment on 2 March."""
    return build.program(sales, [course], name="Fire safety", due_rule="fixed", due_on="2026-02-01", gating=True)


def signed_in(membership) -> Client:
    client = Client()
    act_in(client, membership)
    return client


def test_an_overdue_person_is_sent_to_my_compliance_with_a_message(world: World, gated, moved_clock: Clock) -> None:
    client = signed_in(world.learner)
    response = client.get(HOME)
    assert response.status_code == 302 and response.url == MINE
    page = client.get(MINE)
    assert page.status_code == 200
    assert "You have overdue compliance training." in page.content.decode()
    assert "Fire safety" in page.content.decode()


def test_the_course_of_the_gated_program_stays_open_and_other_courses_do_not(
    world: World, gated, course, moved_clock: Clock
) -> None:
    client = signed_in(world.learner)
    page = client.get(reverse("catalog:course", args=[course.pk]))
    assert page.status_code == 200
    activity = course.sections.first().activities.first()
    played = client.get(f"/courses/{course.pk}/activities/{activity.uid}/")
    assert not (played.status_code == 302 and played.url == MINE)
    other = make_course(world, "Excel tips")
    blocked = client.get(reverse("catalog:course", args=[other.pk]))
    assert blocked.status_code == 302 and blocked.url == MINE
    assert client.get(reverse("catalog:browse")).url == MINE


@pytest.mark.parametrize(
    "name",
    ["accounts:security", "accounts:sign-out", "accounts:choose-organization", "core:healthz", "web:branding-css"],
)
def test_security_sign_out_and_health_pages_stay_open(world: World, gated, moved_clock: Clock, name: str) -> None:
    response = signed_in(world.learner).get(reverse(name))
    assert not (response.status_code == 302 and response.url == MINE)


def test_the_api_and_form_posts_are_never_gated(world: World, gated, moved_clock: Clock) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.learner)}")
    assert api.get(reverse("api:v1:me")).status_code == 200
    assert api.get(reverse("api:v1:compliance-my-assignments")).status_code == 200
    session = signed_in(world.learner)
    assert session.get(reverse("api:v1:me")).status_code == 200
    # A form sent from a page is left to finish (sign-out is a POST).
    response = session.post(reverse("accounts:sign-out"))
    assert response.status_code == 302 and response.url != MINE


def test_htmx_requests_get_an_hx_redirect_whatever_page_they_say_they_come_from(
    world: World, gated, course, moved_clock: Clock
) -> None:
    client = signed_in(world.learner)
    response = client.get(HOME, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/")
    assert response.status_code == 204 and response["HX-Redirect"] == MINE
    course_page = f"http://testserver{reverse('catalog:course', args=[course.pk])}"
    # HX-Current-URL is the client's to forge: only the requested path opens the gate.
    forged = client.get(HOME, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=course_page)
    assert forged["HX-Redirect"] == MINE
    json_only = client.get(HOME, HTTP_ACCEPT="application/json")
    assert json_only.status_code == 302 and json_only.url == MINE
    fragment = client.get(reverse("catalog:course", args=[course.pk]), HTTP_HX_REQUEST="true")
    assert "HX-Redirect" not in fragment


def test_people_in_good_standing_or_in_non_gating_programs_are_not_gated(
    world: World, build: Builder, sales, course, moved_clock: Clock
) -> None:
    build.program(sales, [course], name="Not gating", due_rule="fixed", due_on="2026-02-01", gating=False)
    build.program(sales, [course], name="Gating, not late", due_days=30, gating=True)
    assert signed_in(world.learner).get(HOME).status_code == 200
    # Someone outside the audience is not gated by an overdue audience either.
    assert signed_in(world.engineer).get(HOME).status_code == 200


def test_completing_the_training_opens_the_gate(world: World, gated, course, moved_clock: Clock) -> None:
    client = signed_in(world.learner)
    assert client.get(HOME).status_code == 302
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(gated, membership_ids=[world.learner.pk])
    assert client.get(HOME).status_code == 200


def test_an_expired_person_is_gated_too(world: World, build: Builder, sales, course, moved_clock: Clock) -> None:
    program = build.program(sales, [course], name="Yearly", due_days=30, valid_months=12, gating=True)
    complete(world.learner, course, moved_clock.now)
    evaluation.evaluate_program(program, membership_ids=[world.learner.pk])
    client = signed_in(world.learner)
    assert client.get(HOME).status_code == 200
    moved_clock.to(dt.date(2027, 3, 10))
    evaluation.evaluate_program(program)
    # Held from the next sign-in (or within gate.REFRESH_SECONDS of a session already open: the test below).
    assert signed_in(world.learner).get(HOME).url == MINE


def test_signing_in_lands_a_gated_person_on_my_compliance(world: World, gated, moved_clock: Clock) -> None:
    client = Client()
    response = sign_in_with_password(client, world.learner.user.email, follow=True)
    assert response.redirect_chain[-1][0] == MINE
    assert response.status_code == 200


def test_the_gate_costs_no_query_for_people_it_does_not_hold(
    world: World, gated, moved_clock: Clock, django_assert_num_queries
) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from syllabus.compliance import gate as gate_state
    from syllabus.compliance.middleware import ComplianceGateMiddleware, open_prefixes
    from syllabus.web import views as web_views

    middleware = ComplianceGateMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    open_prefixes()  # read once per process: warm it
    for membership, held in ((world.engineer, False), (world.learner, True)):
        session: dict[str, object] = {}
        gate_state.remember(session, membership.user.pk)  # what sign-in does
        request = RequestFactory().get(HOME)
        request.user = membership.user
        request.organization = world.org  # type: ignore[attr-defined]
        request.session = session  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        if held:
            # Held people pay for their programs and those programs' courses, and get a message.
            with django_assert_num_queries(2):
                assert middleware.process_view(request, web_views.home, (), {}).url == MINE  # type: ignore[union-attr]
        else:
            with django_assert_num_queries(0):
                assert middleware.process_view(request, web_views.home, (), {}) is None
    # A session from before sign-in remembered anything (or a stale one) is read once, then remembered.
    request = RequestFactory().get(HOME)
    request.user = world.engineer.user
    request.organization = world.org  # type: ignore[attr-defined]
    request.session = {}  # type: ignore[assignment]
    with django_assert_num_queries(1):
        assert middleware.process_view(request, web_views.home, (), {}) is None
    with django_assert_num_queries(0):
        assert middleware.process_view(request, web_views.home, (), {}) is None
    anonymous = RequestFactory().get(HOME)
    anonymous.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert middleware.process_view(anonymous, web_views.home, (), {}) is None


def test_someone_who_turns_overdue_while_signed_in_is_held_after_the_refresh(
    world: World, build: Builder, sales, course, moved_clock: Clock, monkeypatch
) -> None:
    from syllabus.compliance import evaluation
    from syllabus.compliance import gate as gate_state

    program = build.program(sales, [course], name="Gating soon", due_days=1, gating=True)
    client = signed_in(world.learner)
    assert client.get(HOME).status_code == 200
    moved_clock.move(days=5)
    evaluation.evaluate_program(program)
    assert client.get(HOME).status_code == 200  # remembered from sign-in: not held yet
    real = gate_state.time.time
    monkeypatch.setattr(gate_state.time, "time", lambda: real() + gate_state.REFRESH_SECONDS + 1)
    response = client.get(HOME)
    assert response.status_code == 302 and response.url == MINE


def test_background_polls_are_not_gated(world: World, gated, moved_clock: Clock) -> None:
    from django.test import RequestFactory

    from syllabus.compliance.middleware import ComplianceGateMiddleware
    from syllabus.core.sessions import passive_session

    @passive_session
    def poll(request):  # the notification bell's kind of view
        raise AssertionError("not called here")

    request = RequestFactory().get("/notifications/unread/", HTTP_HX_REQUEST="true")
    request.user = world.learner.user
    request.organization = world.org  # type: ignore[attr-defined]
    gate = ComplianceGateMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    assert gate.process_view(request, poll, (), {}) is None


def test_a_gated_person_follows_and_withdraws_their_own_exemption_request(
    world: World, gated, moved_clock: Clock
) -> None:
    from syllabus.compliance.models import Assignment
    from syllabus.compliance.services import exemptions

    assignment = Assignment.objects.get(program=gated, membership=world.learner, ended_at__isnull=True)
    request = exemptions.exemption_request(
        assignment=assignment, by=world.learner.user, kind="exemption", reason="On leave"
    )
    client = signed_in(world.learner)
    # The request page and the request's own page stay open; the queue of requests does not.
    assert client.get(reverse("compliance:exemption-new") + f"?assignment={assignment.pk}").status_code == 200
    assert client.get(reverse("compliance:exemption", args=[request.pk])).status_code == 200
    assert client.get(reverse("compliance:exemptions"))["Location"] == MINE
    withdrawn = client.post(reverse("compliance:exemption-withdraw", args=[request.pk]), {"next": MINE})
    assert withdrawn["Location"] == MINE
    request.refresh_from_db()
    assert request.state == "withdrawn"
    # Someone else's request is still refused by the view itself, gate or no gate.
    other = exemptions.exemption_request(
        assignment=Assignment.objects.get(program=gated, membership=world.report, ended_at__isnull=True),
        by=world.report.user,
        kind="exemption",
        reason="Leave",
    )
    assert client.get(reverse("compliance:exemption", args=[other.pk])).status_code == 403
