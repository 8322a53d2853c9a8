"""/api/v1/notifications/, notification-types/ and notification-deliveries/: the happy paths, and the attacker's
side (another person's notification, another organisation's, a learner on the admin endpoints)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy as _
from rest_framework.test import APIClient

from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, Organization, User
from syllabus.audit.models import AuditRecord
from syllabus.core import clock
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.forms_admin import BODY_MAX
from syllabus.notifications.models import (
    Delivery,
    Notification,
    OrganizationTypeSetting,
    PersonSettings,
    Preference,
    Template,
)
from tests.api.conftest import V1, error_fields, token_for
from tests.conftest import World
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Client = Callable[[Membership], APIClient]

REMINDER = "apitest.reminder"
SECURITY = "apitest.security"
PLAIN = "apitest.plain"

_keys = itertools.count()


@pytest.fixture
def as_member(db: None) -> Client:
    """`as_member(membership)`: a client sending that membership's API token (which fixes the organisation)."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


@pytest.fixture(autouse=True)
def api_types() -> Iterator[None]:
    """Three throwaway types: an ordinary one an organisation may make mandatory, an urgent account-level one
    nobody may turn off (like a password reset), and one that may never be made mandatory."""
    declared = [
        registry.NotificationType(
            key=REMINDER,
            label=_("Course reminder"),
            description=_("A course is due soon."),
            category=_("API test"),
            subject=_("{{ course_title }} is due"),
            body=_("Finish {{ course_title }} by {{ due_date }}."),
            placeholders={
                "course_title": registry.Placeholder(_("Course title"), _("Fire safety")),
                "due_date": registry.Placeholder(_("Due date"), _("31 March")),
            },
            org_mandatory_allowed=True,
        ),
        registry.NotificationType(
            key=SECURITY,
            label=_("New sign-in"),
            description=_("Someone signed in from a new device."),
            category=_("API test"),
            subject=_("New sign-in"),
            body=_("A new device signed in."),
            mandatory=True,
            urgent=True,
            account_level=True,
        ),
        registry.NotificationType(
            key=PLAIN,
            label=_("Plain news"),
            description=_("Something happened."),
            category=_("API test"),
            subject=_("News"),
            body=_("Something happened."),
            default_channels=(registry.IN_APP,),
        ),
    ]
    for kind in declared:
        registry.register(kind)
    yield
    for kind in declared:
        registry.unregister(kind.key)


def _notify(
    user: User,
    organization: Organization | None,
    *,
    subject: str = "Fire safety is due",
    type_key: str = REMINDER,
    read: bool = False,
    in_app: bool = True,
    minutes_ago: int = 0,
) -> Notification:
    now = clock.now()
    return Notification.objects.create(
        recipient=user,
        organization=organization,
        type_key=type_key,
        dedupe_key=f"apitest:{next(_keys)}",
        subject=subject,
        body=f"{subject}.",
        url="/learn/",
        created_at=now - dt.timedelta(minutes=minutes_ago),
        in_app=in_app,
        read_at=now if read else None,
    )


def _delivery(notification: Notification, *, status: str = "sent", channel: str = "email") -> Delivery:
    now = clock.now()
    return Delivery.objects.create(
        notification=notification,
        channel=channel,
        status=status,
        not_before=now,
        attempts=1,
        sent_at=now if status == "sent" else None,
        last_error="550 mailbox unavailable" if status == "bounced" else "",
    )


def _subjects(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [row["subject"] for row in response.json()["results"]]


def _type(response, key: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == 200, response.json()
    body = response.json()
    rows = body["preferences"] if isinstance(body, dict) else body
    return next(row for row in rows if row["key"] == key)


def _channels(response, key: str) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {row["channel"]: row for row in _type(response, key)["channels"]}


# --- the notification centre -------------------------------------------------------------------------------------


def test_the_list_holds_the_callers_notifications_of_this_organisation_and_account_level_ones(
    world: World, as_member
) -> None:
    learner = world.learner.user
    MembershipFactory(organization=world.other_org, user=learner)
    mine = _notify(learner, world.org, subject="Fire safety is due", minutes_ago=5)
    _notify(learner, None, type_key=SECURITY, subject="New sign-in", minutes_ago=1)
    _notify(learner, world.other_org, subject="Globex onboarding is due")
    _notify(world.engineer.user, world.org, subject="Someone else's reminder")
    _notify(learner, world.org, subject="Email only", in_app=False)

    response = as_member(world.learner).get(f"{V1}/notifications/")

    assert _subjects(response) == ["New sign-in", "Fire safety is due"]
    assert response.json()["count"] == 2
    assert response.json()["results"][1] == {
        "id": mine.pk,
        "type": REMINDER,
        "subject": "Fire safety is due",
        "body": "Fire safety is due.",
        "url": "/learn/",
        "created_at": mine.created_at.isoformat().replace("+00:00", "Z"),
        "read_at": None,
        "organization": world.org.pk,
    }
    assert response.json()["results"][0]["organization"] is None


def test_unread_filter_and_unread_count_agree(world: World, as_member) -> None:
    learner = world.learner.user
    _notify(learner, world.org, subject="Old news", read=True)
    _notify(learner, world.org, subject="Fresh news")
    _notify(learner, None, type_key=SECURITY, subject="New sign-in")
    _notify(world.engineer.user, world.org, subject="Not mine")
    client = as_member(world.learner)

    assert sorted(_subjects(client.get(f"{V1}/notifications/?unread=true"))) == ["Fresh news", "New sign-in"]
    assert len(_subjects(client.get(f"{V1}/notifications/?unread=false"))) == 3
    assert client.get(f"{V1}/notifications/unread-count/").json() == {"unread": 2}
    refused = client.get(f"{V1}/notifications/?unread=maybe")
    assert refused.status_code == 400
    assert "unread" in error_fields(refused)


def test_marking_read_and_unread_answers_the_notification(world: World, as_member) -> None:
    notification = _notify(world.learner.user, world.org)
    client = as_member(world.learner)

    read = client.post(f"{V1}/notifications/{notification.pk}/read/")
    assert read.status_code == 200, read.json()
    assert read.json()["id"] == notification.pk and read.json()["read_at"] is not None
    notification.refresh_from_db()
    assert notification.read_at is not None

    unread = client.post(f"{V1}/notifications/{notification.pk}/unread/")
    assert unread.status_code == 200
    assert unread.json()["read_at"] is None
    notification.refresh_from_db()
    assert notification.read_at is None


def test_another_persons_notification_is_404_and_stays_as_it_was(world: World, as_member) -> None:
    unread = _notify(world.engineer.user, world.org)
    read = _notify(world.engineer.user, world.org, read=True)
    client = as_member(world.learner)

    for path in (f"{V1}/notifications/{unread.pk}/read/", f"{V1}/notifications/{read.pk}/unread/"):
        response = client.post(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    unread.refresh_from_db()
    read.refresh_from_db()
    assert unread.read_at is None and read.read_at is not None


def test_the_same_persons_notification_of_another_organisation_is_404_here(world: World, as_member) -> None:
    learner = world.learner.user
    MembershipFactory(organization=world.other_org, user=learner)
    elsewhere = _notify(learner, world.other_org)

    assert as_member(world.learner).post(f"{V1}/notifications/{elsewhere.pk}/read/").status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.read_at is None


def test_an_outsider_cannot_touch_our_notifications(world: World, as_member) -> None:
    ours = _notify(world.learner.user, world.org)
    client = as_member(world.outsider)

    assert client.post(f"{V1}/notifications/{ours.pk}/read/").status_code == 404
    assert client.get(f"{V1}/notifications/").json()["count"] == 0
    assert client.post(f"{V1}/notifications/read-all/").json() == {"marked": 0}
    ours.refresh_from_db()
    assert ours.read_at is None


def test_read_all_marks_only_the_callers_notifications_in_view(world: World, as_member) -> None:
    learner = world.learner.user
    MembershipFactory(organization=world.other_org, user=learner)
    here = [_notify(learner, world.org), _notify(learner, None, type_key=SECURITY)]
    _notify(learner, world.org, read=True)
    elsewhere = _notify(learner, world.other_org)
    someone_else = _notify(world.engineer.user, world.org)

    response = as_member(world.learner).post(f"{V1}/notifications/read-all/")

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert all(Notification.objects.get(pk=row.pk).read_at is not None for row in here)
    assert Notification.objects.get(pk=elsewhere.pk).read_at is None
    assert Notification.objects.get(pk=someone_else.pk).read_at is None


def test_a_browser_session_uses_its_chosen_organisation(world: World) -> None:
    learner = world.learner.user
    MembershipFactory(organization=world.other_org, user=learner)
    _notify(learner, world.org, subject="Acme news")
    elsewhere = _notify(learner, world.other_org, subject="Globex news")
    client = APIClient()
    client.force_login(learner)
    session = client.session
    session[SESSION_KEY] = world.other_org.pk
    session.save()

    assert _subjects(client.get(f"{V1}/notifications/")) == ["Globex news"]
    assert client.post(f"{V1}/notifications/{elsewhere.pk}/read/").status_code == 200
    assert client.get(f"{V1}/notifications/unread-count/").json() == {"unread": 0}


def test_without_credentials_every_endpoint_is_401(world: World) -> None:
    client = APIClient()
    for path in (
        "/notifications/",
        "/notifications/unread-count/",
        "/notifications/preferences/",
        "/notification-types/",
        "/notification-deliveries/",
    ):
        response = client.get(f"{V1}{path}")
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_costs_the_same_queries_for_3_or_30_notifications(
    world: World, as_member, django_assert_max_num_queries
) -> None:
    client = as_member(world.learner)
    for index in range(3):
        _notify(world.learner.user, world.org, subject=f"News {index}")
    client.get(f"{V1}/notifications/")
    with CaptureQueriesContext(connection) as three:
        client.get(f"{V1}/notifications/")
    for index in range(27):
        _notify(world.learner.user, world.org if index % 2 else None, subject=f"More news {index}")
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(f"{V1}/notifications/")
    assert response.json()["count"] == 30


# --- preferences -------------------------------------------------------------------------------------------------


def test_preferences_show_defaults_locks_and_settings(world: World, as_member) -> None:
    world.learner.user.time_zone = "Europe/Paris"
    world.learner.user.save(update_fields=["time_zone"])

    response = as_member(world.learner).get(f"{V1}/notifications/preferences/")

    reminder = _type(response, REMINDER)
    assert reminder["label"] == "Course reminder" and reminder["category"] == "API test"
    assert reminder["channels"] == [
        {"channel": "in_app", "enabled": True, "mode": "immediate", "locked": False, "supports_digest": False},
        {"channel": "email", "enabled": True, "mode": "immediate", "locked": False, "supports_digest": True},
    ]
    security = _channels(response, SECURITY)
    assert security["email"]["locked"] is True
    assert security["email"]["supports_digest"] is False, "an urgent type is never held for a digest"
    assert _channels(response, PLAIN)["email"]["enabled"] is False
    assert response.json()["settings"] == {
        "quiet_start": None,
        "quiet_end": None,
        "digest_time": "08:00:00",
        "time_zone": "Europe/Paris",
    }


def test_changing_preferences_and_settings_saves_both_and_answers_the_new_state(world: World, as_member) -> None:
    response = as_member(world.learner).patch(
        f"{V1}/notifications/preferences/",
        {
            "preferences": [
                {"type": REMINDER, "channel": "email", "enabled": True, "mode": "digest"},
                {"type": REMINDER, "channel": "in_app", "enabled": False},
            ],
            "settings": {"quiet_start": "22:00", "quiet_end": "07:00"},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    channels = _channels(response, REMINDER)
    assert (channels["email"]["enabled"], channels["email"]["mode"]) == (True, "digest")
    assert channels["in_app"]["enabled"] is False
    assert response.json()["settings"]["quiet_start"] == "22:00:00"
    assert response.json()["settings"]["digest_time"] == "08:00:00"
    user = world.learner.user
    assert Preference.objects.get(user=user, type_key=REMINDER, channel="email").mode == "digest"
    person = PersonSettings.objects.get(user=user)
    assert (person.quiet_start, person.quiet_end) == (dt.time(22, 0), dt.time(7, 0))


def test_a_change_without_mode_keeps_the_digest(world: World, as_member) -> None:
    client = as_member(world.learner)
    url = f"{V1}/notifications/preferences/"
    client.patch(
        url,
        {"preferences": [{"type": REMINDER, "channel": "email", "enabled": True, "mode": "digest"}]},
        format="json",
    )
    response = client.patch(
        url, {"preferences": [{"type": REMINDER, "channel": "email", "enabled": False}]}, format="json"
    )
    assert response.status_code == 200, response.json()
    row = Preference.objects.get(user=world.learner.user, type_key=REMINDER, channel="email")
    assert (row.enabled, row.mode) == (False, "digest")


def test_turning_off_a_mandatory_type_is_refused_by_name_and_nothing_changes(world: World, as_member) -> None:
    response = as_member(world.learner).patch(
        f"{V1}/notifications/preferences/",
        {
            "preferences": [
                {"type": REMINDER, "channel": "email", "enabled": False},
                {"type": SECURITY, "channel": "email", "enabled": False},
            ],
            "settings": {"quiet_start": "22:00", "quiet_end": "07:00"},
        },
        format="json",
    )

    assert response.status_code == 400
    assert error_fields(response) == {f"{SECURITY}.email": services.PREFERENCE_LOCKED.format(type="New sign-in")}
    assert not Preference.objects.filter(user=world.learner.user).exists()
    assert not PersonSettings.objects.filter(user=world.learner.user).exists()


def test_a_type_the_organisation_made_mandatory_is_locked_on(world: World, as_member) -> None:
    services.type_mandatory_set(organization=world.org, type_key=REMINDER, mandatory=True, by=world.org_admin.user)
    client = as_member(world.learner)

    assert _channels(client.get(f"{V1}/notifications/preferences/"), REMINDER)["email"]["locked"] is True
    response = client.patch(
        f"{V1}/notifications/preferences/",
        {"preferences": [{"type": REMINDER, "channel": "email", "enabled": False}]},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {f"{REMINDER}.email": services.PREFERENCE_LOCKED.format(type="Course reminder")}
    # The outsider's organisation made nothing mandatory: the same person there may turn it off.
    assert _channels(as_member(world.outsider).get(f"{V1}/notifications/preferences/"), REMINDER)["email"] == {
        "channel": "email",
        "enabled": True,
        "mode": "immediate",
        "locked": False,
        "supports_digest": True,
    }


def test_unknown_types_channels_and_digests_where_there_are_none_are_field_errors(world: World, as_member) -> None:
    response = as_member(world.learner).patch(
        f"{V1}/notifications/preferences/",
        {
            "preferences": [
                {"type": "no.such", "channel": "email", "enabled": True},
                {"type": REMINDER, "channel": "pigeon", "enabled": True},
                {"type": REMINDER, "channel": "in_app", "enabled": True, "mode": "digest"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "no.such.email": services.PREFERENCE_UNKNOWN_TYPE.format(type="no.such"),
        f"{REMINDER}.pigeon": services.PREFERENCE_UNKNOWN_CHANNEL.format(channel="pigeon"),
        f"{REMINDER}.in_app": services.PREFERENCE_NO_DIGEST,
    }
    assert not Preference.objects.exists()


def test_half_quiet_hours_and_bad_input_name_their_field(world: World, as_member) -> None:
    client = as_member(world.learner)
    half = client.patch(f"{V1}/notifications/preferences/", {"settings": {"quiet_start": "22:00"}}, format="json")
    assert half.status_code == 400
    assert error_fields(half) == {"settings.quiet_end": services.QUIET_HOURS_HALF}
    bad = client.patch(
        f"{V1}/notifications/preferences/",
        {
            "preferences": [
                {"type": REMINDER, "channel": "in_app", "enabled": True},
                {"type": REMINDER, "channel": "email", "enabled": True, "mode": "weekly"},
            ]
        },
        format="json",
    )
    assert bad.status_code == 400
    [(field, message)] = error_fields(bad).items()
    assert field.startswith("preferences") and field.endswith(".mode") and "weekly" in message
    assert not PersonSettings.objects.exists()


def test_preferences_are_the_callers_own(world: World, as_member) -> None:
    as_member(world.engineer).patch(
        f"{V1}/notifications/preferences/",
        {"preferences": [{"type": REMINDER, "channel": "email", "enabled": False}]},
        format="json",
    )
    assert _channels(as_member(world.learner).get(f"{V1}/notifications/preferences/"), REMINDER)["email"]["enabled"]


def test_preferences_cost_the_same_queries_with_more_choices_saved(
    world: World, as_member, django_assert_max_num_queries
) -> None:
    client = as_member(world.learner)
    url = f"{V1}/notifications/preferences/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    # Read now: the next request clears the connection's query log that `before` slices.
    baseline = len(before.captured_queries)
    client.patch(
        url,
        {
            "preferences": [
                {"type": kind, "channel": channel, "enabled": True}
                for kind in (REMINDER, PLAIN)
                for channel in ("in_app", "email")
            ],
            "settings": {"digest_time": "07:30"},
        },
        format="json",
    )
    with django_assert_max_num_queries(baseline):
        assert client.get(url).status_code == 200


# --- notification types ------------------------------------------------------------------------------------------


def test_any_member_reads_the_types_with_the_organisations_mandatory_flag(world: World, as_member) -> None:
    services.type_mandatory_set(organization=world.org, type_key=REMINDER, mandatory=True, by=world.org_admin.user)

    response = as_member(world.learner).get(f"{V1}/notification-types/")

    assert response.status_code == 200
    assert isinstance(response.json(), list), "a short list declared in code: not paginated"
    assert _type(response, REMINDER) == {
        "key": REMINDER,
        "label": "Course reminder",
        "description": "A course is due soon.",
        "category": "API test",
        "placeholders": [
            {"name": "course_title", "label": "Course title", "sample": "Fire safety"},
            {"name": "due_date", "label": "Due date", "sample": "31 March"},
        ],
        "default_channels": ["in_app", "email"],
        "mandatory": False,
        "org_mandatory_allowed": True,
        "urgent": False,
        "account_level": False,
        "mandatory_in_organization": True,
    }
    security = _type(response, SECURITY)
    assert (security["mandatory"], security["urgent"], security["account_level"]) == (True, True, True)
    # Another organisation's flag is its own.
    assert _type(as_member(world.outsider).get(f"{V1}/notification-types/"), REMINDER)["mandatory_in_organization"] is (
        False
    )


def test_org_admin_makes_a_type_mandatory_and_optional_again(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    url = f"{V1}/notification-types/{REMINDER}/mandatory/"

    made = client.put(url, {"mandatory": True}, format="json")
    assert made.status_code == 200, made.json()
    assert made.json()["mandatory_in_organization"] is True
    assert OrganizationTypeSetting.objects.get(organization=world.org, type_key=REMINDER).mandatory
    assert AuditRecord.objects.filter(organization=world.org, action="notification.mandatory_changed").exists()

    undone = client.put(url, {"mandatory": False}, format="json")
    assert undone.json()["mandatory_in_organization"] is False
    assert not OrganizationTypeSetting.objects.get(organization=world.org, type_key=REMINDER).mandatory


def test_a_type_that_does_not_allow_it_cannot_be_made_mandatory(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    refused = client.put(f"{V1}/notification-types/{PLAIN}/mandatory/", {"mandatory": True}, format="json")
    assert refused.status_code == 400
    assert error_fields(refused) == {"mandatory": services.MANDATORY_NOT_ALLOWED}
    assert not OrganizationTypeSetting.objects.filter(mandatory=True).exists()
    unknown = client.put(f"{V1}/notification-types/no.such/mandatory/", {"mandatory": True}, format="json")
    assert unknown.status_code == 404


# --- the organisation's wording ----------------------------------------------------------------------------------


def test_org_admin_reads_rewords_and_resets_a_type(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    url = f"{V1}/notification-types/{REMINDER}/templates/en/"

    built_in = client.get(url)
    assert built_in.status_code == 200, built_in.json()
    assert built_in.json() == {
        "type": REMINDER,
        "language": "en",
        "subject": "{{ course_title }} is due",
        "body": "Finish {{ course_title }} by {{ due_date }}.",
        "is_default": True,
        "updated_at": None,
    }

    saved = client.put(
        url, {"subject": "Reminder: {{ course_title }}", "body": "Due {{ due_date }}. Thanks!"}, format="json"
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["is_default"] is False and saved.json()["updated_at"] is not None
    assert client.get(url).json()["subject"] == "Reminder: {{ course_title }}"
    assert (
        Template.objects.get(organization=world.org, type_key=REMINDER, language="en").body
        == "Due {{ due_date }}. Thanks!"
    )
    assert AuditRecord.objects.filter(organization=world.org, action="notification.template_saved").exists()

    reset = client.delete(url)
    assert reset.status_code == 204
    assert not Template.objects.exists()
    assert client.get(url).json()["is_default"] is True
    assert client.delete(url).status_code == 204, "resetting twice is harmless"


def test_hostile_or_broken_wording_is_refused_by_field(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    url = f"{V1}/notification-types/{REMINDER}/templates/en/"
    response = client.put(
        url, {"subject": "{{ reset_link }}", "body": "{% load evil %}{{ course_title.delete }}"}, format="json"
    )
    assert response.status_code == 400
    fields = error_fields(response)
    assert set(fields) == {"subject", "body"}
    assert fields["subject"].startswith("Unknown placeholder {{ reset_link }}")
    assert not Template.objects.exists()


def test_the_api_allows_the_same_body_length_as_the_wording_page(
    world: World, as_member: Callable[[Membership], APIClient]
) -> None:
    client = as_member(world.org_admin)
    url = f"{V1}/notification-types/{REMINDER}/templates/en/"
    too_long = client.put(url, {"subject": "Hello", "body": "x" * (BODY_MAX + 1)}, format="json")
    assert too_long.status_code == 400 and set(error_fields(too_long)) == {"body"}
    assert not Template.objects.exists()
    assert client.put(url, {"subject": "Hello", "body": "x" * BODY_MAX}, format="json").status_code == 200
    assert len(Template.objects.get().body) == BODY_MAX


def test_account_level_types_cannot_be_reworded(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    url = f"{V1}/notification-types/{SECURITY}/templates/en/"
    assert client.get(url).json()["is_default"] is True
    response = client.put(url, {"subject": "Hello", "body": "Anything"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["message"] == services.TEMPLATE_ACCOUNT_LEVEL
    assert not Template.objects.exists()


def test_unknown_types_and_languages_are_404(world: World, as_member) -> None:
    client = as_member(world.org_admin)
    assert client.get(f"{V1}/notification-types/no.such/templates/en/").status_code == 404
    assert client.get(f"{V1}/notification-types/{REMINDER}/templates/xx/").status_code == 404
    assert (
        client.put(
            f"{V1}/notification-types/{REMINDER}/templates/xx/", {"subject": "S", "body": "B"}, format="json"
        ).status_code
        == 404
    )
    assert not Template.objects.exists()


def test_an_outsiders_wording_stays_in_their_organisation(world: World, as_member) -> None:
    url = f"{V1}/notification-types/{REMINDER}/templates/en/"
    response = as_member(world.outsider).put(
        url, {"subject": "Globex: {{ course_title }}", "body": "Hi"}, format="json"
    )
    assert response.status_code == 200
    assert Template.objects.get().organization == world.other_org
    assert as_member(world.org_admin).get(url).json()["is_default"] is True
    assert as_member(world.org_admin).delete(url).status_code == 204
    assert Template.objects.filter(organization=world.other_org).exists(), "our reset does not touch theirs"


def test_a_learner_gets_403_on_every_admin_endpoint_and_nothing_changes(world: World, as_member) -> None:
    Template.objects.create(organization=world.org, type_key=REMINDER, language="en", subject="Ours", body="Ours")
    client = as_member(world.learner)
    template = f"{V1}/notification-types/{REMINDER}/templates/en/"
    responses = [
        client.get(template),
        client.put(template, {"subject": "Mine", "body": "Mine"}, format="json"),
        client.delete(template),
        client.put(f"{V1}/notification-types/{REMINDER}/mandatory/", {"mandatory": True}, format="json"),
        client.get(f"{V1}/notification-deliveries/"),
    ]
    for response in responses:
        assert response.status_code == 403, response.request["PATH_INFO"]
        assert response.json()["error"]["code"] == "permission_denied"
    assert Template.objects.get().subject == "Ours"
    assert not OrganizationTypeSetting.objects.exists()


def test_a_manager_is_no_notification_admin_either(world: World, as_member) -> None:
    response = as_member(world.manager).get(f"{V1}/notification-deliveries/")
    assert response.status_code == 403


# --- the delivery log --------------------------------------------------------------------------------------------


def test_the_delivery_log_lists_the_organisations_deliveries_with_filters(world: World, as_member) -> None:
    bounced = _delivery(_notify(world.learner.user, world.org, minutes_ago=2), status="bounced")
    _delivery(_notify(world.engineer.user, world.org, type_key=PLAIN, minutes_ago=1), status="sent")
    _delivery(_notify(world.outsider.user, world.other_org), status="bounced")
    _delivery(_notify(world.learner.user, None, type_key=SECURITY), status="sent")
    client = as_member(world.org_admin)

    everything = client.get(f"{V1}/notification-deliveries/")
    assert everything.status_code == 200, everything.json()
    assert everything.json()["count"] == 2, "neither another organisation's nor account-level deliveries"

    only_bounced = client.get(f"{V1}/notification-deliveries/?status=bounced").json()
    assert only_bounced["count"] == 1
    assert only_bounced["results"][0] == {
        "id": bounced.pk,
        "notification": bounced.notification_id,
        "type": REMINDER,
        "recipient": {"id": world.learner.user.pk, "email": world.learner.user.email},
        "channel": "email",
        "mode": "immediate",
        "status": "bounced",
        "attempts": 1,
        "last_error": "550 mailbox unavailable",
        "sent_at": None,
        "created_at": bounced.notification.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert client.get(f"{V1}/notification-deliveries/?type={PLAIN}").json()["count"] == 1
    assert client.get(f"{V1}/notification-deliveries/?channel=email&status=sent").json()["count"] == 1

    refused = client.get(f"{V1}/notification-deliveries/?channel=pigeon&status=lost&type=no.such")
    assert refused.status_code == 400
    assert set(error_fields(refused)) == {"channel", "status", "type"}


def test_the_delivery_log_filters_by_recipient_and_creation_days_as_the_page_does(
    world: World, as_member: Callable[[Membership], APIClient]
) -> None:
    admin = world.org_admin.user
    admin.time_zone = "Europe/Paris"
    admin.save(update_fields=["time_zone"])
    today = clock.now().astimezone(zoneinfo.ZoneInfo("Europe/Paris")).date()
    recent = _delivery(_notify(world.learner.user, world.org))
    old = _delivery(_notify(world.engineer.user, world.org, minutes_ago=3 * 24 * 60))
    client = as_member(world.org_admin)

    def ids(query: str) -> list[int]:
        response = client.get(f"{V1}/notification-deliveries/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    learner = world.learner.user
    assert ids(f"recipient={learner.email.upper()}") == [recent.pk]
    assert ids(f"recipient={learner.display_name.split()[0].lower()}") == [recent.pk]
    assert ids("recipient=nobody-like-this") == []
    assert ids(f"date_from={today - dt.timedelta(days=1)}") == [recent.pk]
    assert ids(f"date_to={today - dt.timedelta(days=2)}") == [old.pk]
    assert ids(f"date_from={today - dt.timedelta(days=3)}&date_to={today}") == [recent.pk, old.pk]
    refused = client.get(f"{V1}/notification-deliveries/?date_from=yesterday&recipient={'x' * 255}")
    assert refused.status_code == 400 and set(error_fields(refused)) == {"date_from", "recipient"}


def test_the_outsider_sees_only_their_own_organisations_log(world: World, as_member) -> None:
    _delivery(_notify(world.learner.user, world.org))
    theirs = _delivery(_notify(world.outsider.user, world.other_org))
    rows = as_member(world.outsider).get(f"{V1}/notification-deliveries/").json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]


def test_the_delivery_log_costs_the_same_queries_for_3_or_30_rows(
    world: World, as_member, django_assert_max_num_queries
) -> None:
    client = as_member(world.org_admin)
    people = [world.learner, world.engineer, world.manager, world.report]
    for index in range(3):
        _delivery(_notify(people[index % 4].user, world.org))
    client.get(f"{V1}/notification-deliveries/")
    with CaptureQueriesContext(connection) as three:
        client.get(f"{V1}/notification-deliveries/")
    for index in range(27):
        _delivery(_notify(people[index % 4].user, world.org), status="failed" if index % 3 else "sent")
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(f"{V1}/notification-deliveries/")
    assert response.json()["count"] == 30
