"""The person's sessions: recorded on sign-in, refreshed at most once a minute, listed, and ended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.accounts import events
from syllabus.accounts.models import UserSession
from syllabus.accounts.security import sessions
from syllabus.accounts.security.client import client_ip, describe_user_agent
from syllabus.core import clock
from tests.accounts.security.conftest import HOME, act_in, of_type, sign_in_with_password

pytestmark = pytest.mark.django_db

SESSIONS = reverse("accounts:sessions")
END_OTHERS = reverse("accounts:sessions-end-others")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def moved_clock(monkeypatch):
    current = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: current["now"])
    return current


def test_signing_in_records_the_session_with_its_browser_and_address(client, world, recorded, run_events):
    user = world.learner.user
    with run_events():
        sign_in_with_password(client, user.email, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.7")
    row = UserSession.objects.get(user=user)
    assert row.session_key == client.session.session_key
    assert (row.ip_address, row.user_agent, row.ended_at) == ("198.51.100.7", FIREFOX, None)
    assert of_type(recorded, events.UserSignedIn) == [
        events.UserSignedIn(user_id=user.pk, ip_address="198.51.100.7", two_factor=False, session_id=row.pk)
    ]


def test_last_seen_is_written_at_most_once_a_minute(client, world, moved_clock, django_assert_num_queries):
    act_in(client, world.learner)
    row = UserSession.objects.get(user=world.learner.user)
    started = row.last_seen_at
    moved_clock["now"] += dt.timedelta(seconds=30)
    client.get(HOME)
    row.refresh_from_db()
    assert row.last_seen_at == started
    moved_clock["now"] += dt.timedelta(seconds=31)
    client.get(HOME, REMOTE_ADDR="192.0.2.44")
    row.refresh_from_db()
    assert row.last_seen_at == moved_clock["now"]
    assert row.ip_address == "192.0.2.44"


def test_a_request_within_the_minute_costs_no_session_query(client, world):
    act_in(client, world.learner)
    client.get(HOME)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(HOME)
    assert not [query for query in queries.captured_queries if "accounts_usersession" in query["sql"]]


def test_the_sessions_page_lists_them_and_marks_this_one(client, world):
    user = world.learner.user
    other = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    other.force_login(user)
    sign_in_with_password(client, user.email, HTTP_USER_AGENT=FIREFOX)
    response = client.get(SESSIONS, HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["device"], row["is_current"]) for row in rows] == [("Firefox on Windows", True), ("?", False)]
    page = response.content.decode()
    assert "This session" in page
    assert "Sign out of all other sessions" in page


def test_signing_out_of_all_other_sessions_ends_them_and_keeps_this_one(client, world, recorded, run_events):
    user = world.learner.user
    phone, laptop = Client(), Client()
    phone.force_login(user)
    laptop.force_login(user)
    sign_in_with_password(client, user.email)
    phone_key = phone.session.session_key
    with run_events():
        response = client.post(END_OTHERS)
    assert response.status_code == 302 and response["Location"] == SESSIONS
    assert phone.get(HOME)["Location"].startswith(reverse("accounts:sign-in"))
    assert laptop.get(HOME).status_code == 302
    assert client.get(HOME).status_code == 200
    assert UserSession.objects.get(session_key=phone_key).ended_at is not None
    assert [row["is_current"] for row in client.get(SESSIONS).context["rows"]] == [True]
    assert of_type(recorded, events.SessionsEnded) == [events.SessionsEnded(user_id=user.pk, actor_id=user.pk, count=2)]


def test_signing_out_ends_the_row_and_is_an_event(client, world, recorded, run_events):
    user = world.learner.user
    sign_in_with_password(client, user.email)
    key = client.session.session_key
    with run_events():
        client.post(reverse("accounts:sign-out"))
    assert UserSession.objects.get(session_key=key).ended_at is not None
    assert of_type(recorded, events.UserSignedOut) == [events.UserSignedOut(user_id=user.pk, ip_address="127.0.0.1")]


def test_sessions_idle_past_the_session_age_are_not_listed(client, world, settings):
    user = world.learner.user
    stale = Client()
    stale.force_login(user)
    UserSession.objects.filter(session_key=stale.session.session_key).update(
        last_seen_at=clock.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    )
    act_in(client, world.learner)
    assert len(client.get(SESSIONS).context["rows"]) == 1


def test_the_list_is_one_query_however_many_sessions(world, django_assert_num_queries):
    for _ in range(5):
        Client().force_login(world.learner.user)
    with django_assert_num_queries(1):
        assert len(list(sessions.user_session_list(user=world.learner.user))) == 5


# --- an admin signs someone out everywhere -------------------------------------------------------------------


def sign_out_everywhere_url(membership) -> str:
    return reverse("accounts:person-sign-out-everywhere", args=[membership.pk])


def test_an_org_admin_signs_a_person_out_everywhere(client, world, recorded, run_events):
    victim = Client()
    victim.force_login(world.learner.user)
    act_in(client, world.org_admin)
    page = client.get(reverse("accounts:person-detail", args=[world.learner.pk]))
    assert "Sign out everywhere" in page.content.decode()
    with run_events():
        response = client.post(sign_out_everywhere_url(world.learner))
    assert response.status_code == 302
    assert victim.get(HOME).status_code == 302
    assert of_type(recorded, events.SessionsEnded) == [
        events.SessionsEnded(user_id=world.learner.user.pk, actor_id=world.org_admin.user.pk, count=1)
    ]


def test_a_learner_cannot_sign_anyone_out(client, world):
    victim = Client()
    victim.force_login(world.engineer.user)
    act_in(client, world.learner)
    assert client.post(sign_out_everywhere_url(world.engineer)).status_code == 403
    assert victim.get(HOME).status_code == 200


def test_an_admin_of_another_organisation_gets_404(client, world):
    victim = Client()
    victim.force_login(world.learner.user)
    act_in(client, world.outsider)
    assert client.post(sign_out_everywhere_url(world.learner)).status_code == 404
    assert victim.get(HOME).status_code == 200


def test_admins_do_not_get_the_button_on_their_own_page(client, world):
    act_in(client, world.org_admin)
    page = client.get(reverse("accounts:person-detail", args=[world.org_admin.pk]))
    assert not page.context["can_sign_out_everywhere"]


# --- who is on the other end -----------------------------------------------------------------------------------


def test_browsers_get_short_names():
    assert describe_user_agent(FIREFOX) == "Firefox on Windows"
    assert describe_user_agent(SAFARI_IPHONE) == "Safari on iOS"
    assert describe_user_agent("curl/8.5") == "curl/8.5"
    assert describe_user_agent("") == "?"


def test_the_client_address_comes_from_trusted_proxies_only(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: something is off, use the connection
    assert client_ip(request) == "10.0.0.2"
    assert client_ip(rf.get("/", REMOTE_ADDR="not-an-ip")) is None
