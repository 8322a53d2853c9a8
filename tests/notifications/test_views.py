"""The person's notification pages: the bell, the centre (list, read and unread, open) and the preferences page.

Written from the attacker's side too: another person's notification, another organisation's, a link that leads
off the site, a forged post that turns a mandatory type off."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts.models import Membership, Organization, User
from syllabus.core import clock
from syllabus.notifications import types as registry
from syllabus.notifications.models import (
    DeliveryMode,
    Notification,
    OrganizationTypeSetting,
    PersonSettings,
    Preference,
)
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType
from tests.conftest import World
from tests.factories import MembershipFactory
from tests.notifications.conftest import LOCKABLE, MANDATORY, SAMPLE, URGENT, declare_type

pytestmark = pytest.mark.django_db

BELL = reverse("notifications:bell")
CENTRE = reverse("notifications:centre")
PREFERENCES = reverse("notifications:preferences")
MARK_ALL = reverse("notifications:mark_all_read")
HTMX = {"HX-Request": "true"}
RESET = "tests.reset"

_keys = itertools.count()


def make(
    recipient: Membership | User,
    organization: Organization | None = None,
    *,
    subject: str = "Your request was approved",
    body: str = "Fire safety is waiting for you.",
    url: str = "/courses/12/",
    read: bool = False,
    minutes_ago: int = 5,
) -> Notification:
    user = recipient.user if isinstance(recipient, Membership) else recipient
    now = clock.now()
    return Notification.objects.create(
        recipient=user,
        organization=organization,
        type_key=SAMPLE,
        dedupe_key=f"view-test:{next(_keys)}",
        subject=subject,
        body=body,
        url=url,
        created_at=now - dt.timedelta(minutes=minutes_ago),
        in_app=True,
        read_at=now if read else None,
    )


def signed_in(client: Client, membership: Membership) -> Client:
    client.force_login(membership.user)
    return client


def subjects(html: str) -> list[str]:
    return re.findall(r'<h2 class="notification-subject"[^>]*><a [^>]*>([^<]*)</a>', html)


def bell_name(html: str) -> str:
    found = re.search(r'<span class="visually-hidden">([^<]*)</span>', html)
    return found.group(1) if found else ""


def field_tag(html: str, field_id: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    assert found, f"no field {field_id}"
    return found.group(0)


# --- the bell ------------------------------------------------------------------------------------------------------


def test_the_bell_counts_the_unread_of_this_organisation_and_of_the_account(client: Client, world: World) -> None:
    make(world.learner, world.org)
    make(world.learner, world.org)
    make(world.learner, None, subject="New sign-in")
    make(world.learner, world.org, read=True)
    make(world.learner, world.other_org)  # an organisation this person does not work in now
    make(world.manager, world.org)
    signed_in(client, world.learner)

    html = client.get(BELL).content.decode()

    assert bell_name(html) == "Notifications, 3 unread"
    assert '<span class="bell-badge" aria-hidden="true">3</span>' in html
    # The next poll tells the server the newest notification the page knows of (read or not: the read one is the
    # newest here), and the element keeps polling (no second "load").
    newest = Notification.objects.filter(recipient=world.learner.user, organization=world.org).latest("pk").pk
    assert f'hx-get="{BELL}?latest={newest}"' in html
    assert 'hx-trigger="every 60s, notifications-changed from:body"' in html
    assert f'href="{CENTRE}"' in html


def test_without_unread_notifications_the_bell_has_no_badge(client: Client, world: World) -> None:
    make(world.learner, world.org, read=True)
    signed_in(client, world.learner)

    html = client.get(BELL).content.decode()

    assert bell_name(html) == "Notifications"
    assert "bell-badge" not in html


def test_a_large_count_is_shortened_in_the_badge_only(client: Client, world: World) -> None:
    for _ in range(101):
        make(world.learner, world.org)
    signed_in(client, world.learner)

    html = client.get(BELL).content.decode()

    assert bell_name(html) == "Notifications, 101 unread"
    assert ">99+</span>" in html


STATUS = '<span id="notification-bell-status" hx-swap-oob="innerHTML">New notifications: {count} unread.</span>'


def test_the_bell_announces_only_a_notification_newer_than_the_page_knows(client: Client, world: World) -> None:
    older = make(world.learner, world.org)
    newer = make(world.learner, world.org)
    signed_in(client, world.learner)

    assert STATUS.format(count=2) in client.get(BELL, {"latest": str(older.pk)}).content.decode()
    # The page's first ask (no `latest`) and a page that already knows the newest one are silent.
    for known in ({}, {"latest": str(newer.pk)}, {"latest": str(newer.pk + 5)}):
        assert "notification-bell-status" not in client.get(BELL, known).content.decode()


def test_marking_an_older_notification_unread_is_not_announced(client: Client, world: World) -> None:
    older = make(world.learner, world.org, read=True)
    newest = make(world.learner, world.org, read=True)
    signed_in(client, world.learner)
    first = client.get(BELL).content.decode()
    assert f"?latest={newest.pk}" in first

    client.post(reverse("notifications:mark_unread", args=[older.pk]), headers=HTMX)
    again = client.get(BELL, {"latest": str(newest.pk)}).content.decode()

    assert bell_name(again) == "Notifications, 1 unread" and "notification-bell-status" not in again
    # A new one is still announced on the next poll, and the page then knows it.
    arrived = make(world.learner, world.org)
    polled = client.get(BELL, {"latest": str(newest.pk)}).content.decode()
    assert STATUS.format(count=2) in polled and f"?latest={arrived.pk}" in polled


def test_a_new_notification_already_read_elsewhere_is_not_announced(client: Client, world: World) -> None:
    known = make(world.learner, world.org)
    make(world.learner, world.org, read=True)
    signed_in(client, world.learner)

    assert "notification-bell-status" not in client.get(BELL, {"latest": str(known.pk)}).content.decode()


@pytest.mark.parametrize("value", ["nonsense", "²", "١٢", " 7", "7 ", "1_000", "-1", "+1", "9" * 19, "9" * 5000, ""])
def test_a_bell_latest_that_is_not_a_plain_id_is_ignored(client: Client, world: World, value: str) -> None:
    make(world.learner, world.org)
    signed_in(client, world.learner)

    response = client.get(BELL, {"latest": value})

    assert response.status_code == 200 and "notification-bell-status" not in response.content.decode()


def test_the_bell_costs_one_query_of_its_own(client: Client, world: World) -> None:
    for _ in range(30):
        make(world.learner, world.org)
    signed_in(client, world.learner)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(BELL)

    statements = [query["sql"] for query in queries.captured_queries]
    # The rest is the middleware of every request (session, user, organisation, two-factor); the site's context
    # processors (navigation, roles) are not run for the partial.
    ours = [sql for sql in statements if "notifications_notification" in sql]
    assert len(ours) == 1 and "COUNT(" in ours[0] and "MAX(" in ours[0]
    assert not [sql for sql in statements if "access_roleassignment" in sql or "catalog_" in sql]
    assert len(statements) <= 8
    assert response.status_code == 200 and "max-age=0" in response["Cache-Control"]


def test_pages_hold_only_a_placeholder_that_htmx_fills(client: Client, world: World) -> None:
    make(world.learner, world.org)
    signed_in(client, world.learner)

    html = client.get(reverse("web:home")).content.decode()

    bell = re.search(r'<div id="notification-bell"[^>]*>.*?</div>', html, re.S)
    assert bell is not None
    assert f'hx-get="{BELL}"' in bell.group(0) and 'hx-trigger="load, every 60s' in bell.group(0)
    # Without JavaScript it is a plain link to the centre; the count comes only from the bell view.
    assert f'href="{CENTRE}"' in bell.group(0) and bell_name(bell.group(0)) == "Notifications"
    assert '<span id="notification-bell-status" class="visually-hidden" aria-live="polite"></span>' in html


def test_a_signed_out_bell_is_left_alone(client: Client, world: World) -> None:
    response = client.get(BELL)

    assert response.status_code == 204 and response.content == b""


# --- the centre ----------------------------------------------------------------------------------------------------


def test_the_centre_lists_this_organisation_and_account_notifications_newest_first(
    client: Client, world: World
) -> None:
    make(world.learner, world.org, subject="Older", minutes_ago=120)
    make(world.learner, None, subject="Account notice", minutes_ago=60)
    make(world.learner, world.org, subject="Newest", minutes_ago=1)
    make(world.learner, world.other_org, subject="Globex secret")
    make(world.manager, world.org, subject="Manager's own")
    signed_in(client, world.learner)

    html = client.get(CENTRE).content.decode()

    assert subjects(html) == ["Newest", "Account notice", "Older"]
    assert "Globex secret" not in html and "Manager&#x27;s own" not in html
    assert "1\xa0minute ago" in html and "2\xa0hours ago" in html
    assert f'href="{PREFERENCES}"' in html


def test_a_body_is_shown_as_escaped_paragraphs(client: Client, world: World) -> None:
    make(world.learner, world.org, body='Hello <script>alert("x")</script>\n\nSecond line\nthird')
    signed_in(client, world.learner)

    html = client.get(CENTRE).content.decode()

    assert "<script>alert" not in html
    assert "<p>Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>" in html
    assert "<p>Second line<br>third</p>" in html


def test_each_notification_says_whether_it_is_read_and_offers_the_other_state(client: Client, world: World) -> None:
    unread = make(world.learner, world.org, subject="Unread one")
    read = make(world.learner, world.org, subject="Read one", read=True)
    signed_in(client, world.learner)

    html = client.get(CENTRE).content.decode()

    unread_item = re.search(rf'<li id="notification-{unread.pk}".*?</li>', html, re.S).group(0)  # type: ignore[union-attr]
    read_item = re.search(rf'<li id="notification-{read.pk}".*?</li>', html, re.S).group(0)  # type: ignore[union-attr]
    assert '<span class="badge badge-unread">Unread</span>' in unread_item and "Mark as read" in unread_item
    assert "badge-unread" not in read_item and "Mark as unread" in read_item
    assert f'href="{reverse("notifications:open", args=[unread.pk])}"' in unread_item


def test_the_unread_filter_lists_only_unread_ones(client: Client, world: World) -> None:
    make(world.learner, world.org, subject="Unread one")
    make(world.learner, world.org, subject="Read one", read=True)
    signed_in(client, world.learner)

    html = client.get(CENTRE, {"filter": "unread"}).content.decode()

    assert subjects(html) == ["Unread one"]
    assert re.search(r'<a href="[^"]*filter=unread" aria-current="page">Unread</a>', html)


def test_the_empty_states_say_so(client: Client, world: World) -> None:
    signed_in(client, world.learner)
    assert "You have no notifications yet." in client.get(CENTRE).content.decode()

    make(world.learner, world.org, read=True)
    assert "You have no unread notifications." in client.get(CENTRE, {"filter": "unread"}).content.decode()


def test_the_centre_shows_25_a_page(client: Client, world: World) -> None:
    for number in range(30):
        make(world.learner, world.org, subject=f"Notice {number}", minutes_ago=number + 1)
    signed_in(client, world.learner)

    first = client.get(CENTRE).content.decode()
    second = client.get(CENTRE, {"page": "2"}).content.decode()

    assert len(subjects(first)) == 25 and subjects(first)[0] == "Notice 0"
    assert subjects(second) == [f"Notice {number}" for number in range(25, 30)]
    assert "Page 2 of 2" in second


def test_the_centre_costs_the_same_queries_for_3_or_30_notifications(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        make(world.learner, world.org)
    signed_in(client, world.learner)
    client.get(CENTRE)  # the first request may write the session; measure the steady state

    with CaptureQueriesContext(connection) as three:
        client.get(CENTRE)
    for _ in range(27):
        make(world.learner, world.org)

    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(CENTRE)

    assert len(subjects(response.content.decode())) == 25


def test_marking_read_without_javascript_returns_to_the_same_list(client: Client, world: World) -> None:
    notification = make(world.learner, world.org, subject="Approved")
    signed_in(client, world.learner)

    response = client.post(
        reverse("notifications:mark_read", args=[notification.pk]), {"filter": "unread", "page": "2"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CENTRE}?filter=unread&page=2#notification-{notification.pk}"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "Marked as read: Approved" in client.get(CENTRE).content.decode()


def test_marking_read_with_htmx_swaps_the_item_and_refreshes_the_bell(client: Client, world: World) -> None:
    notification = make(world.learner, world.org, subject="Approved")
    signed_in(client, world.learner)

    response = client.post(reverse("notifications:mark_read", args=[notification.pk]), {"filter": "all"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    assert html.startswith(f'<li id="notification-{notification.pk}" class="notification">')
    # Same id on the button, so htmx keeps the focus on it after the swap.
    assert f'id="notification-{notification.pk}-toggle">Mark as unread' in html
    assert '<div id="notification-status" hx-swap-oob="innerHTML">Marked as read: Approved</div>' in html
    assert "<html" not in html


def test_marking_unread_puts_it_back(client: Client, world: World) -> None:
    notification = make(world.learner, world.org, subject="Approved", read=True)
    signed_in(client, world.learner)

    response = client.post(reverse("notifications:mark_unread", args=[notification.pk]), headers=HTMX)

    notification.refresh_from_db()
    assert notification.read_at is None
    assert "Mark as read" in response.content.decode() and "badge-unread" in response.content.decode()
    assert "Marked as unread: Approved</div>" in response.content.decode()


def test_the_status_message_adds_no_quotes_of_its_own(client: Client, world: World) -> None:
    notification = make(world.learner, world.org, subject="“Fire safety” is on your transcript")
    signed_in(client, world.learner)

    html = client.post(reverse("notifications:mark_read", args=[notification.pk]), headers=HTMX).content.decode()

    assert ">Marked as read: “Fire safety” is on your transcript</div>" in html


@pytest.mark.parametrize("page", ["²", "١٢", "2 ", "+2", "0", "9" * 7, "9" * 5000, "nonsense"])
def test_a_page_number_that_is_not_plain_digits_returns_to_the_first_page(
    client: Client, world: World, page: str
) -> None:
    notification = make(world.learner, world.org)
    signed_in(client, world.learner)

    plain = client.post(reverse("notifications:mark_read", args=[notification.pk]), {"page": page})
    swapped = client.post(reverse("notifications:mark_unread", args=[notification.pk]), {"page": page}, headers=HTMX)
    everything = client.post(MARK_ALL, {"page": page})

    assert plain.status_code == 302 and plain["Location"] == f"{CENTRE}#notification-{notification.pk}"
    assert swapped.status_code == 200 and '<input type="hidden" name="page" value="1">' in swapped.content.decode()
    assert everything.status_code == 302 and everything["Location"] == CENTRE


def test_mark_all_read_marks_only_what_the_centre_shows(client: Client, world: World) -> None:
    mine = [make(world.learner, world.org), make(world.learner, None)]
    elsewhere = make(world.learner, world.other_org)
    others = make(world.manager, world.org)
    signed_in(client, world.learner)

    response = client.post(MARK_ALL, {"filter": "unread"}, headers=HTMX)

    html = response.content.decode()
    assert response["HX-Trigger"] == "notifications-changed"
    assert "2 notifications are marked as read." in html and "You have no unread notifications." in html
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in mine)
    assert Notification.objects.get(pk=elsewhere.pk).read_at is None
    assert Notification.objects.get(pk=others.pk).read_at is None


def test_mark_all_read_without_javascript_redirects_back(client: Client, world: World) -> None:
    signed_in(client, world.learner)

    response = client.post(MARK_ALL, {"filter": "all"})

    assert response.status_code == 302 and response["Location"] == CENTRE
    assert "Every notification was already read." in client.get(CENTRE).content.decode()


@pytest.mark.parametrize("name", ["mark_read", "mark_unread", "open"])
def test_another_persons_notification_is_not_found_and_unchanged(client: Client, world: World, name: str) -> None:
    theirs = make(world.manager, world.org, read=name == "mark_unread")
    signed_in(client, world.learner)
    url = reverse(f"notifications:{name}", args=[theirs.pk])

    response = client.get(url) if name == "open" else client.post(url, headers=HTMX)

    assert response.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at == theirs.read_at


@pytest.mark.parametrize("name", ["mark_read", "open"])
def test_a_notification_of_another_organisation_is_not_found_there(client: Client, world: World, name: str) -> None:
    outsider_notice = make(world.outsider, world.other_org)
    # The outsider works in Globex; the learner's id guess from Acme is as blind as any other.
    signed_in(client, world.learner)
    url = reverse(f"notifications:{name}", args=[outsider_notice.pk])

    response = client.get(url) if name == "open" else client.post(url)

    assert response.status_code == 404
    assert Notification.objects.get(pk=outsider_notice.pk).read_at is None


def test_the_buttons_take_posts_only(client: Client, world: World) -> None:
    notification = make(world.learner, world.org)
    signed_in(client, world.learner)

    assert client.get(reverse("notifications:mark_read", args=[notification.pk])).status_code == 405
    assert client.get(MARK_ALL).status_code == 405
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_opening_marks_read_and_goes_to_the_page(client: Client, world: World) -> None:
    notification = make(world.learner, world.org, url="/courses/12/?tab=outline")
    signed_in(client, world.learner)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302 and response["Location"] == "/courses/12/?tab=outline"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/", "//evil.example/path", "/\\evil.example", "javascript:alert(1)", "courses/12/"],
)
def test_opening_never_leaves_the_site(client: Client, world: World, url: str) -> None:
    notification = make(world.learner, world.org, url=url)
    signed_in(client, world.learner)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"{CENTRE}#notification-{notification.pk}"
    assert "does not lead to a page of Syllabus" in client.get(CENTRE).content.decode()
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_notification_without_a_link_opens_in_the_centre(client: Client, world: World) -> None:
    notification = make(world.learner, None, url="")
    signed_in(client, world.learner)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response["Location"] == f"{CENTRE}#notification-{notification.pk}"
    assert "does not lead" not in client.get(CENTRE).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, world: World) -> None:
    notification = make(world.learner, world.org)

    for response in (
        client.get(CENTRE),
        client.get(PREFERENCES),
        client.get(reverse("notifications:open", args=[notification.pk])),
        client.post(reverse("notifications:mark_read", args=[notification.pk])),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_someone_who_has_not_chosen_an_organisation_chooses_first(client: Client, world: World) -> None:
    MembershipFactory(organization=world.other_org, user=world.learner.user)
    signed_in(client, world.learner)

    response = client.get(CENTRE, {"filter": "unread"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:choose-organization") + "?next=")


# --- preferences ---------------------------------------------------------------------------------------------------


@pytest.fixture
def every_type(
    sample_type: NotificationType,
    mandatory_type: NotificationType,
    lockable_type: NotificationType,
    urgent_type: NotificationType,
) -> None:
    """The four test types, all in the category "Tests"."""


def enabled_id(type_key: str, channel: str) -> str:
    return f"id_{type_key}.{channel}"


def form_data(client: Client, **changes: str | None) -> dict[str, str]:
    """What the page posts as it is now (checked boxes, selected options, times), with `changes` (None: left out)."""
    html = client.get(PREFERENCES).content.decode()
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        if name is None or "disabled" in tag:
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
        else:
            given = re.search(r'value="([^"]*)"', tag)
            data[name.group(1)] = given.group(1) if given else ""
    for select in re.findall(r'<select name="([^"]*)".*?</select>', html, re.S):
        block = re.search(rf'<select name="{re.escape(select)}".*?</select>', html, re.S).group(0)  # type: ignore[union-attr]
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', block)
        data[select] = chosen.group(1) if chosen else ""
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_the_page_has_a_labelled_checkbox_per_type_and_channel(client: Client, world: World, every_type: None) -> None:
    signed_in(client, world.learner)

    html = client.get(PREFERENCES).content.decode()

    assert '<h2 id="preferences-category-' in html and ">Tests</h2>" in html
    assert '<th scope="col">In Syllabus</th>' in html and '<th scope="col">Email</th>' in html
    for key in (SAMPLE, MANDATORY, LOCKABLE):
        for channel, label in ((IN_APP, "In Syllabus"), (EMAIL, "Email")):
            assert (
                f'<label for="{enabled_id(key, channel)}" class="visually-hidden">Test type {key}, {label}</label>'
                in html
            )
    assert "checked" in field_tag(html, enabled_id(SAMPLE, EMAIL))
    # "When" on screen; the name says which type and channel. The page greys it out while Email is unticked.
    assert (
        f'<label for="id_{SAMPLE}.email.mode"><span aria-hidden="true">When</span>'
        f'<span class="visually-hidden">When: Test type {SAMPLE}, Email</span></label>'
    ) in html
    assert f'data-follows="{enabled_id(SAMPLE, EMAIL)}"' in field_tag(html, f"id_{SAMPLE}.email.mode")
    assert "notifications/notifications.js" in html
    assert '<option value="digest">Daily digest</option>' in html
    # An urgent type never waits: no digest choice.
    assert f"id_{URGENT}.email.mode" not in html and "Always at once" in html
    # Quiet hours in the person's own zone, said on the page.
    assert "Times are in your time zone, UTC." in html


def test_a_mandatory_type_is_shown_checked_disabled_and_why(client: Client, world: World, every_type: None) -> None:
    OrganizationTypeSetting.objects.create(organization=world.org, type_key=LOCKABLE, mandatory=True)
    signed_in(client, world.learner)

    html = client.get(PREFERENCES).content.decode()

    for key, reason in (
        (MANDATORY, "Required for your account&#x27;s security"),
        (LOCKABLE, "Required by your organisation"),
    ):
        tag = field_tag(html, enabled_id(key, EMAIL))
        assert "disabled" in tag and "checked" in tag
        assert f'aria-describedby="{enabled_id(key, EMAIL)}_helptext"' in tag
        assert f'<span class="help" id="{enabled_id(key, EMAIL)}_helptext">{reason}</span>' in html
    assert "disabled" not in field_tag(html, enabled_id(SAMPLE, EMAIL))


def test_a_channel_a_mandatory_type_never_uses_says_so_in_words(client: Client, world: World) -> None:
    # Mandatory but not urgent: its email still has a digest choice, so it keeps its row in the table.
    declare_type(RESET, label="Reset link", mandatory=True, default_channels=(EMAIL,))
    try:
        signed_in(client, world.learner)
        html = client.get(PREFERENCES).content.decode()
        response = client.post(PREFERENCES, form_data(client))
    finally:
        registry.unregister(RESET)

    assert f'id="{enabled_id(RESET, IN_APP)}"' not in html
    row = re.search(r'<tr>\s*<th scope="row"><span class="preference-type">Reset link</span>.*?</tr>', html, re.S)
    assert row is not None and '<p class="preference-never muted">Never sent this way</p>' in row.group(0)
    assert "checked" in field_tag(html, enabled_id(RESET, EMAIL))
    # Saving the page as it is changes nothing about it (and is not refused).
    assert response.status_code == 302
    assert not Preference.objects.filter(user=world.learner.user, type_key=RESET).exists()


def test_types_nothing_can_be_changed_about_are_summed_up_last(client: Client, world: World, every_type: None) -> None:
    declare_type(RESET, label="Reset link", category="Account", mandatory=True, urgent=True, default_channels=(EMAIL,))
    declare_type("tests.alert", label="Alert", category="Account", mandatory=True, urgent=True)
    try:
        signed_in(client, world.learner)
        html = client.get(PREFERENCES).content.decode()
        response = client.post(PREFERENCES, form_data(client))
    finally:
        registry.unregister(RESET)
        registry.unregister("tests.alert")

    # No table of disabled boxes: one short list after every choice the person can make.
    assert ">Account</h2>" not in html and f'id="{enabled_id(RESET, EMAIL)}"' not in html
    summary = html[html.index('<h2 id="preferences-fixed">Always sent</h2>') :]
    assert html.index(">Tests</h2>") < html.index("preferences-fixed")
    assert "Required for your account&#x27;s security, so you cannot turn these off:" in summary
    assert '<span class="preference-type">Reset link</span> — <span class="preference-ways">Email</span>' in summary
    both = '<span class="preference-type">Alert</span> — <span class="preference-ways">In Syllabus and Email</span>'
    assert both in summary
    assert summary.index("preferences-fixed") < summary.index("When emails arrive")
    assert response.status_code == 302
    assert not Preference.objects.filter(user=world.learner.user).exists()


def test_a_table_of_fixed_boxes_comes_after_the_tables_with_choices(client: Client, world: World) -> None:
    declare_type("tests.fixed", label="Fixed", category="Fixed things", mandatory=True)
    declare_type("tests.free", label="Free", category="Free things")
    try:
        signed_in(client, world.learner)
        html = client.get(PREFERENCES).content.decode()
    finally:
        registry.unregister("tests.fixed")
        registry.unregister("tests.free")

    assert html.index(">Free things</h2>") < html.index(">Fixed things</h2>")


def test_types_that_do_not_concern_the_person_are_left_out(client: Client, world: World, sample_type: Any) -> None:
    asked: list[tuple[User, Organization | None]] = []

    def approvers_only(user: User, organization: Organization | None) -> bool:
        asked.append((user, organization))
        return user.pk == world.manager.user.pk

    declare_type("tests.approval", label="Approval wanted", shown_to=approvers_only)
    try:
        learner_html = signed_in(client, world.learner).get(PREFERENCES).content.decode()
        saved = client.post(PREFERENCES, form_data(client))
        manager_html = signed_in(Client(), world.manager).get(PREFERENCES).content.decode()
    finally:
        registry.unregister("tests.approval")

    assert "Approval wanted" not in learner_html and f"Test type {SAMPLE}" in learner_html
    assert saved.status_code == 302 and not Preference.objects.filter(type_key="tests.approval").exists()
    assert "Approval wanted" in manager_html
    assert (world.learner.user, world.org) in asked


def test_saving_stores_only_what_changed(client: Client, world: World, every_type: None) -> None:
    signed_in(client, world.learner)
    data = form_data(
        client,
        **{f"{SAMPLE}.email": None, f"{LOCKABLE}.email.mode": "digest", "quiet_start": "22:00", "quiet_end": "07:00"},
    )

    response = client.post(PREFERENCES, data)

    assert response.status_code == 302 and response["Location"] == PREFERENCES
    rows = {(p.type_key, p.channel): (p.enabled, p.mode) for p in Preference.objects.filter(user=world.learner.user)}
    assert rows == {
        (SAMPLE, EMAIL): (False, DeliveryMode.IMMEDIATE),
        (LOCKABLE, EMAIL): (True, DeliveryMode.DIGEST),
    }
    person = PersonSettings.objects.get(user=world.learner.user)
    assert (person.quiet_start, person.quiet_end, person.digest_time) == (dt.time(22), dt.time(7), dt.time(8))
    html = client.get(PREFERENCES).content.decode()
    assert "Your notification preferences are saved." in html
    assert "checked" not in field_tag(html, enabled_id(SAMPLE, EMAIL))
    assert re.search(rf'id="id_{re.escape(LOCKABLE)}.email.mode">.*?<option value="digest" selected>', html, re.S)
    assert 'value="22:00"' in field_tag(html, "id_quiet_start")


def test_a_forged_post_cannot_turn_a_mandatory_type_off(client: Client, world: World, every_type: None) -> None:
    OrganizationTypeSetting.objects.create(organization=world.org, type_key=LOCKABLE, mandatory=True)
    signed_in(client, world.learner)
    data = form_data(client)
    for key in (MANDATORY, LOCKABLE):
        data.pop(f"{key}.email", None)
        data.pop(f"{key}.in_app", None)

    response = client.post(PREFERENCES, data)

    assert response.status_code == 302
    assert not Preference.objects.filter(user=world.learner.user, enabled=False).exists()


def test_half_quiet_hours_are_refused_beside_the_field_and_in_the_summary(
    client: Client, world: World, every_type: None
) -> None:
    signed_in(client, world.learner)
    data = form_data(client, **{f"{SAMPLE}.email": None, "quiet_start": "22:00", "quiet_end": ""})

    response = client.post(PREFERENCES, data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "data-error-summary" in html and 'href="#id_quiet_end"' in html
    assert (
        '<ul class="errorlist" id="id_quiet_end_error"><li>Give both the start and the end of your quiet hours' in html
    )
    assert 'aria-invalid="true"' in field_tag(html, "id_quiet_end")
    # Nothing saved, and what was typed is kept.
    assert not Preference.objects.filter(user=world.learner.user).exists()
    assert not PersonSettings.objects.filter(user=world.learner.user).exists()
    assert "checked" not in field_tag(html, enabled_id(SAMPLE, EMAIL))


def test_a_time_that_is_not_a_time_is_refused(client: Client, world: World, every_type: None) -> None:
    signed_in(client, world.learner)

    response = client.post(PREFERENCES, form_data(client, digest_time="25:99"))

    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_digest_time_error">' in response.content.decode()


def test_a_forged_digest_choice_is_refused(client: Client, world: World, every_type: None) -> None:
    signed_in(client, world.learner)

    response = client.post(PREFERENCES, form_data(client, **{f"{SAMPLE}.email.mode": "hourly"}))

    assert response.status_code == 400
    assert f'<ul class="errorlist" id="id_{SAMPLE}.email.mode_error">' in response.content.decode()
    assert not Preference.objects.filter(user=world.learner.user).exists()
