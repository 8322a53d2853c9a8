"""Account security notices: a sign-in from a new device, two-factor and password changes, the password reset link.

They belong to the person, not to one of their organisations (`account_level`, organization NULL), are mandatory
(nobody can turn them off) and urgent (never held for quiet hours or a digest). `accounts` may not import
notifications (see pyproject's import contracts), so this module subscribes to its domain events: `connect()`,
called from NotificationsConfig.ready(), registers the types and the handlers.

The reset link is a key to the account, so its notification is email only (a mandatory type's channels are fixed)
and the link itself is made by the email channel as it sends (`send_time_placeholders`): it is never stored in the
database, carried by the broker or exported. The reset form queues the same task whatever the address, and the
worker emits `PasswordResetRequested` for each account it finds: a known address answers as fast as an unknown one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from syllabus.accounts import events
from syllabus.accounts.models import User, UserSession
from syllabus.accounts.security.client import describe_user_agent
from syllabus.core import clock
from syllabus.core.events import subscribe
from syllabus.notifications import services
from syllabus.notifications import types as registry
from syllabus.notifications.models import Notification
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType, Placeholder

CATEGORY = _("Account security")
SAMPLE_TIME = _("2 March 2026, 09:30 (UTC)")

NEW_DEVICE = NotificationType(
    key="security.new_device",
    label=_("Sign-in from a new device"),
    description=_("Someone signed in to your account from a browser or device you had not used before."),
    category=CATEGORY,
    subject=_("New sign-in to your account from {{ device }}"),
    body=_(
        "Someone signed in to your account with {{ device_details }}, from the address {{ ip_address }}, on "
        "{{ time }}.\n\n"
        "If this was you, there is nothing to do.\n\n"
        "If it was not you, someone else knows your password: change it now, which signs out every other "
        "session. Your sessions page shows where you are signed in: {{ sessions_link }}"
    ),
    placeholders={
        "device": Placeholder(_("Browser and system"), _("Firefox on Windows")),
        # The same, with a little of the raw user agent when it is not recognised: for the body only.
        "device_details": Placeholder(_("Browser and system, in detail"), _("Firefox on Windows")),
        "ip_address": Placeholder(_("IP address"), "203.0.113.7"),
        "time": Placeholder(_("Time of the sign-in"), SAMPLE_TIME),
        "sessions_link": Placeholder(_("Link to your sessions"), "https://syllabus.example/profile/security/sessions/"),
    },
    default_channels=(IN_APP, EMAIL),
    mandatory=True,
    urgent=True,
    account_level=True,
)

TWO_FACTOR_CHANGED = NotificationType(
    key="security.two_factor_changed",
    label=_("Two-factor sign-in changed"),
    description=_(
        "Two-factor sign-in was turned on or off, new recovery codes were made, or a recovery code was used."
    ),
    category=CATEGORY,
    subject="{{ change }}",
    body=_(
        "{{ change }}, on {{ time }}.\n\n"
        "If this was you, there is nothing to do.\n\n"
        "If it was not you, someone else can sign in as you: change your password now, then check your "
        "two-factor sign-in: {{ security_link }}"
    ),
    placeholders={
        "change": Placeholder(_("What changed"), _("Two-factor sign-in was turned off")),
        "time": Placeholder(_("Time of the change"), SAMPLE_TIME),
        "security_link": Placeholder(_("Link to your security page"), "https://syllabus.example/profile/security/"),
    },
    default_channels=(IN_APP, EMAIL),
    mandatory=True,
    urgent=True,
    account_level=True,
)

PASSWORD_CHANGED = NotificationType(
    key="security.password_changed",
    label=_("Password changed"),
    description=_("Your password was changed, from your security page or with a reset link."),
    category=CATEGORY,
    subject=_("Your {{ platform }} password was changed"),
    body=_(
        "The password of your {{ platform }} account was changed on {{ time }}, and your other sessions were "
        "signed out.\n\n"
        "If this was you, there is nothing to do.\n\n"
        "If it was not you, someone else can sign in as you: ask for a reset link now and choose a new password: "
        "{{ reset_request_link }}"
    ),
    placeholders={
        "platform": Placeholder(_("Platform name"), "Syllabus"),
        "time": Placeholder(_("Time of the change"), SAMPLE_TIME),
        "reset_request_link": Placeholder(
            _("Link to ask for a reset link"), "https://syllabus.example/password-reset/"
        ),
    },
    default_channels=(IN_APP, EMAIL),
    mandatory=True,
    urgent=True,
    account_level=True,
)

PASSWORD_RESET = NotificationType(
    key="security.password_reset",
    label=_("Password reset link"),
    description=_("The link to choose a new password, sent when you ask for it. By email only."),
    category=CATEGORY,
    subject=_("Reset your {{ platform }} password"),
    body=_(
        "Someone asked to reset the password of the {{ platform }} account {{ email }}. To choose a new password, "
        "open this link:\n\n"
        "{{ reset_link }}\n\n"
        "The link works once, for {{ valid_for }}.\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is."
    ),
    placeholders={
        "platform": Placeholder(_("Platform name"), "Syllabus"),
        "email": Placeholder(_("Email address"), "lena@example.com"),
        "reset_link": Placeholder(_("Reset link"), "https://syllabus.example/password-reset/MQ/c4x1-0f3d9a/"),
        "valid_for": Placeholder(_("How long the link works"), _("24 hours")),
    },
    # Never in the notification centre: a reset link must not sit in a page of a session someone else may hold.
    default_channels=(EMAIL,),
    mandatory=True,
    urgent=True,
    account_level=True,
    # The link is made when the email is sent: it is never stored, queued or exported.
    send_time_placeholders=("reset_link",),
    send_time_context=lambda notification: reset_link_context(notification),
)

TYPES = (NEW_DEVICE, TWO_FACTOR_CHANGED, PASSWORD_CHANGED, PASSWORD_RESET)

TWO_FACTOR_CHANGES = {
    "enabled": _("Two-factor sign-in was turned on"),
    "disabled": _("Two-factor sign-in was turned off"),
    "recovery_code_used": _("A recovery code was used to sign in"),
    "recovery_codes_regenerated": _("New recovery codes were made, and the old ones no longer work"),
}
TWO_FACTOR_OTHER = _("Your two-factor sign-in was changed")


UNRECOGNISED_DEVICE = _("an unrecognised browser")
# Of a user agent we cannot name, this much goes in the body, quoted: enough to tell a script from a browser, too
# little to write the alert ("... automatic IT check, no action needed") for whoever holds the stolen password.
UNRECOGNISED_QUOTE_LENGTH = 60

# Version numbers in a user agent ("Chrome/124.0.6367.91", "rv:126.0"): a browser that updated itself is not a new
# device, and a mandatory alert after every monthly update would teach people to ignore it.
_VERSION = re.compile(r"(?<=[/:])\d[\w.]*")

E = TypeVar("E")


def connect() -> None:
    """Register the account security types and subscribe to accounts' events (NotificationsConfig.ready())."""
    for kind in TYPES:
        registry.register(kind)
    subscribe(events.UserSignedIn, on_user_signed_in)
    subscribe(events.TwoFactorChanged, on_two_factor_changed)
    subscribe(events.PasswordChanged, on_password_changed)
    subscribe(events.PasswordResetRequested, on_password_reset_requested)


def _site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _in_language_of(user: User, text: object) -> str:
    with translation.override(user.locale or "en"):
        return str(text)


# --- sign-in from a new device ------------------------------------------------------------------------------


def without_versions(user_agent: str) -> str:
    return _VERSION.sub("", user_agent)


def device_words(user: User, user_agent: str) -> tuple[str, str]:
    """The device for the subject and for the body, in the person's language.

    A user agent is whatever the client sent: when `describe_user_agent` cannot name it (it hands the raw string
    back), the subject says "an unrecognised browser" and the body adds at most `UNRECOGNISED_QUOTE_LENGTH`
    characters of it in quotes.
    """
    # describe_user_agent translates "Firefox on Windows" in the active language: the person's, not the worker's.
    with translation.override(user.locale or "en"):
        described = describe_user_agent(user_agent)
        unrecognised = str(UNRECOGNISED_DEVICE)
    if described not in (user_agent, "?"):
        return described, described
    raw = " ".join(user_agent.replace('"', "'").split())
    if not raw:
        return unrecognised, unrecognised
    if len(raw) > UNRECOGNISED_QUOTE_LENGTH:
        raw = raw[: UNRECOGNISED_QUOTE_LENGTH - 1] + "…"
    return unrecognised, f'{unrecognised} ("{raw}")'


def is_new_device(session: UserSession) -> bool:
    """Whether this sign-in's browser differs from all of the person's earlier sessions (their first one is not)."""
    earlier = (
        UserSession.objects.filter(user_id=session.user_id, pk__lt=session.pk)
        .order_by()
        .values_list("user_agent", flat=True)
        .distinct()
    )
    seen = {without_versions(user_agent) for user_agent in earlier}
    return bool(seen) and without_versions(session.user_agent) not in seen


@services.never_fails
def on_user_signed_in(event: events.UserSignedIn) -> None:
    if event.session_id is None:
        return
    session = UserSession.objects.filter(pk=event.session_id, user_id=event.user_id).select_related("user").first()
    if session is None or not is_new_device(session):
        return
    sessions_path = reverse("accounts:sessions")
    device, device_details = device_words(session.user, session.user_agent)
    services.notify(
        services.Notice(
            recipient_id=session.user_id,
            type=NEW_DEVICE.key,
            dedupe_key=f"{NEW_DEVICE.key}:{session.pk}",
            context={
                "device": device,
                "device_details": device_details,
                "ip_address": session.ip_address or event.ip_address or "?",
                "time": session.created_at,
                "sessions_link": _site_link(sessions_path),
            },
            url=sessions_path,
        )
    )


# --- two-factor and password changes ------------------------------------------------------------------------


@services.never_fails
def on_two_factor_changed(event: events.TwoFactorChanged) -> None:
    user = User.objects.filter(pk=event.user_id).only("pk", "locale").first()
    if user is None:
        return
    now = clock.now()
    security_path = reverse("accounts:security")
    services.notify(
        services.Notice(
            recipient_id=user.pk,
            type=TWO_FACTOR_CHANGED.key,
            dedupe_key=f"{TWO_FACTOR_CHANGED.key}:{event.action}:{now.isoformat()}",
            context={
                "change": _in_language_of(user, TWO_FACTOR_CHANGES.get(event.action, TWO_FACTOR_OTHER)),
                "time": now,
                "security_link": _site_link(security_path),
            },
            url=security_path,
        )
    )


@services.never_fails
def on_password_changed(event: events.PasswordChanged) -> None:
    # Told after a reset too: whoever reset it, the person learns their password changed.
    now = clock.now()
    services.notify(
        services.Notice(
            recipient_id=event.user_id,
            type=PASSWORD_CHANGED.key,
            dedupe_key=f"{PASSWORD_CHANGED.key}:{now.isoformat()}",
            context={
                "platform": settings.SYLLABUS_PLATFORM_NAME,
                "time": now,
                "reset_request_link": _site_link(reverse("accounts:password-reset")),
            },
            url=reverse("accounts:security"),
        )
    )


# --- the password reset link --------------------------------------------------------------------------------

# One reset email per person in this many seconds: asking again meanwhile sends nothing more (the first is coming),
# so nobody can flood someone's inbox through the public form.
RESET_WINDOW_SECONDS = 300


@services.never_fails
def on_password_reset_requested(event: events.PasswordResetRequested) -> None:
    # Emitted on the worker (accounts' request_password_reset task), never in the request.
    password_reset_send(user_id=event.user_id)


def reset_dedupe_key(user_id: int, moment: dt.datetime) -> str:
    return f"{PASSWORD_RESET.key}:{user_id}:{int(moment.timestamp()) // RESET_WINDOW_SECONDS}"


def password_reset_send(*, user_id: int) -> None:
    """Queue the reset email (on the worker). Its link is made by `reset_link_context` when the email channel sends
    it, and retries follow the email channel's schedule."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    hours = max(settings.PASSWORD_RESET_TIMEOUT // 3600, 1)
    with translation.override(user.locale or "en"):
        valid_for = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    services.notify(
        services.Notice(
            recipient_id=user.pk,
            type=PASSWORD_RESET.key,
            dedupe_key=reset_dedupe_key(user.pk, clock.now()),
            context={"platform": settings.SYLLABUS_PLATFORM_NAME, "email": user.email, "valid_for": valid_for},
        )
    )


def reset_link_context(notification: Notification) -> dict[str, str]:
    """The reset link, made as the email leaves: built on SITE_URL (never on a request's Host header)."""
    user = notification.recipient
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return {"reset_link": _site_link(path)}
