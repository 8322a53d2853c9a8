"""Two-factor sign-in with an authenticator app (TOTP) and one-time recovery codes, on django-otp.

Glossary: the *authenticator* is a confirmed `TOTPDevice` (one per person); the *recovery codes* are the tokens of
the person's `StaticDevice`, each usable once. A session is *verified* when django-otp's `OTPMiddleware` finds the
device that verified it (`request.user.is_verified()`).

The sign-in flow: after a right password, a person with an authenticator is not signed in yet; the session holds a
*pending sign-in* (who, where to go next) for five minutes, and the second step signs them in once a code passes.
`TwoFactorMiddleware` then keeps every page behind the second step for a signed-in person with an authenticator
whose session is not verified (say, a session older than the authenticator), and behind enrolment for people whose
role in the current organisation requires two-factor sign-in (`Organization.two_factor_required_roles`).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from syllabus.access import policy
from syllabus.access.models import RoleAssignment
from syllabus.access.selectors import role_queryset
from syllabus.accounts import events
from syllabus.accounts.models import Membership, Organization, User
from syllabus.core import clock
from syllabus.core.events import emit

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
LEARNER_ROLE = "learner"  # every active member holds it, without an assignment

WRONG_CODE = gettext_noop("That code is not right. Type the code your app shows now, or one of your recovery codes.")
WRONG_ENROLMENT_CODE = gettext_noop(
    "That code is not right. Check that your phone's clock is right and type the code shown now."
)
THROTTLED = gettext_noop("Too many wrong codes. Wait {seconds} seconds, then try again.")
ENROLMENT_EXPIRED = gettext_noop("This set-up has expired. Start again.")
ALREADY_ENABLED = gettext_noop("Two-factor sign-in is already on.")
NOT_ENABLED = gettext_noop("Two-factor sign-in is not on.")
DISABLE_NEEDS_PROOF = gettext_noop("Enter your password or a current code to turn two-factor sign-in off.")
UNKNOWN_ROLES = gettext_noop("Unknown role: {keys}.")


# --- reads ---------------------------------------------------------------------------------------------------


def authenticator_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG data URI (the CSP allows data: images)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def two_factor_required(*, user: User, organization: Organization | None) -> bool:
    """Whether a role the person holds in `organization` (any scope) requires two-factor sign-in there."""
    keys = set(organization.two_factor_required_roles or ()) if organization is not None else set()
    if not keys or organization is None:
        return False
    memberships = Membership.objects.filter(organization=organization, user=user, is_active=True)
    if LEARNER_ROLE in keys:
        return memberships.exists()
    return (
        RoleAssignment.objects.filter(organization=organization, membership__in=memberships, role__key__in=keys)
        .filter(Q(role__organization__isnull=True) | Q(role__organization=organization))
        .exists()
    )


def required_roles_clean(*, organization: Organization, keys: Any) -> list[str]:
    """The role keys an organisation may require two-factor sign-in for: its roles, built-in or custom."""
    if not isinstance(keys, list | tuple) or not all(isinstance(key, str) for key in keys):
        raise ValidationError({"two_factor_required_roles": [_("Give a list of role keys.")]})
    known = set(role_queryset(organization=organization).values_list("key", flat=True))
    unknown = sorted(set(keys) - known)
    if unknown:
        raise ValidationError({"two_factor_required_roles": [_(UNKNOWN_ROLES).format(keys=", ".join(unknown))]})
    return sorted(set(keys))


# --- checking a code -----------------------------------------------------------------------------------------


def _check(device: Device, code: str) -> str | None:
    """None when `code` passes on `device`, else why not. django-otp throttles: each failure doubles the wait."""
    allowed, data = device.verify_is_allowed()
    if not allowed:
        locked_until = (data or {}).get("locked_until")
        seconds = math.ceil((locked_until - clock.now()).total_seconds()) if locked_until else 1
        return _(THROTTLED).format(seconds=max(seconds, 1))
    if device.verify_token(code):
        return None
    return _(WRONG_CODE)


@dataclass(frozen=True)
class Verification:
    device: Device | None
    error: str = ""
    recovery_code: bool = False

    @property
    def passed(self) -> bool:
        return self.device is not None


def normalize_code(code: str) -> str:
    """Codes as people type them: spaces and hyphens dropped, recovery codes in any case."""
    return re.sub(r"[\s-]+", "", code or "").lower()


def two_factor_verify(*, user: User, code: str) -> Verification:
    """Check a code typed at sign-in: six digits from the authenticator, or a recovery code (then used up).

    Each code passes once (django-otp refuses a TOTP code at or before the last one accepted). Emits
    TwoFactorChanged("recovery_code_used") when a recovery code passed.
    """
    cleaned = normalize_code(code)
    # Authenticator codes are six digits; recovery codes are eight letters and digits.
    recovery = not re.fullmatch(r"\d{6}", cleaned)
    model: type[Device] = StaticDevice if recovery else TOTPDevice
    # Locked, so two requests cannot both spend the same code.
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()  # type: ignore[attr-defined]
        error = _check(device, cleaned) if device is not None else _(WRONG_CODE)
    if error:
        return Verification(device=None, error=error)
    if recovery:
        emit(events.TwoFactorChanged(user_id=user.pk, actor_id=user.pk, action="recovery_code_used"))
    return Verification(device=device, recovery_code=recovery)


# --- enrolment, recovery codes, turning it off ------------------------------------------------------------------


def enrolment_start(*, user: User) -> TOTPDevice:
    """The authenticator being set up: kept until confirmed, so reloading the page shows the same QR code."""
    if has_authenticator(user):
        raise ValidationError(_(ALREADY_ENABLED))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in ordered)
    return ordered


def two_factor_enable(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator being set up with a code it shows; returns ten new recovery codes (shown once).

    Emits TwoFactorChanged("enabled").
    """
    codes: list[str] = []
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if locked is None:
            error: str | None = _(ENROLMENT_EXPIRED)
        else:
            error = _check(locked, normalize_code(code))
            if error == _(WRONG_CODE):
                error = _(WRONG_ENROLMENT_CODE)
        if error is None and locked is not None:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
            codes = _replace_recovery_codes(user)
    # Raised after the block, so a wrong code's throttling count is committed.
    if error is not None:
        raise ValidationError({"code": [error]})
    device.refresh_from_db()
    emit(events.TwoFactorChanged(user_id=user.pk, actor_id=user.pk, action="enabled"))
    return codes


def recovery_codes_regenerate(*, user: User, by: User) -> list[str]:
    """Ten new recovery codes replace the old ones. Emits TwoFactorChanged("recovery_codes_regenerated")."""
    if by.pk != user.pk:
        raise PermissionDenied(policy.NOT_ALLOWED)
    if not has_authenticator(user):
        raise ValidationError(_(NOT_ENABLED))
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
    emit(events.TwoFactorChanged(user_id=user.pk, actor_id=by.pk, action="recovery_codes_regenerated"))
    return codes


def two_factor_disable(*, user: User, by: User, password: str = "", code: str = "") -> None:
    """Turn two-factor sign-in off, proven with the password or a current code. Emits TwoFactorChanged("disabled")."""
    if by.pk != user.pk:
        raise PermissionDenied(policy.NOT_ALLOWED)
    if not has_authenticator(user):
        raise ValidationError(_(NOT_ENABLED))
    proven = bool(password) and user.check_password(password)
    if not proven and code:
        proven = two_factor_verify(user=user, code=code).passed
    if not proven:
        raise ValidationError(_(DISABLE_NEEDS_PROOF))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    emit(events.TwoFactorChanged(user_id=user.pk, actor_id=by.pk, action="disabled"))


# --- the pending sign-in (between the password and the code) -----------------------------------------------------

PENDING_SESSION_KEY = "security_pending_sign_in"
PENDING_TTL = dt.timedelta(minutes=5)
# Wrong codes before the person must type their password again (django-otp's throttling also slows each one).
PENDING_MAX_FAILURES = 5


@dataclass(frozen=True)
class PendingSignIn:
    user: User
    backend: str
    next_url: str


def pending_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": next_url,
        "started": clock.now().timestamp(),
        "failures": 0,
    }


def pending_get(request: HttpRequest) -> PendingSignIn | None:
    """The sign-in waiting for its second step in this session, unless it expired."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not data:
        return None
    if clock.now().timestamp() - data["started"] > PENDING_TTL.total_seconds():
        pending_clear(request)
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return PendingSignIn(user=user, backend=data["backend"], next_url=data["next"])


def pending_failed(request: HttpRequest) -> bool:
    """Count a wrong code; True when that was one too many and the pending sign-in is dropped."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not data:
        return True
    data["failures"] += 1
    if data["failures"] >= PENDING_MAX_FAILURES:
        pending_clear(request)
        return True
    request.session[PENDING_SESSION_KEY] = data
    return False


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


# --- what the middleware asks ---------------------------------------------------------------------------------

VERIFY = "verify"
ENROL = "enrol"

# Reachable by a signed-in person whose session has not passed the second step yet.
OPEN_VIEWS = frozenset(
    {
        "accounts:sign-in",
        "accounts:sign-in-two-factor",
        "accounts:sign-out",
        "web:branding-css",
        "django.views.static.serve",
    }
)
OPEN_NAMESPACES = frozenset({"core"})  # health, readiness, metrics
# Reachable, besides, by a person who must set up two-factor sign-in before anything else.
OPEN_BEFORE_ENROLMENT = OPEN_VIEWS | {"accounts:two-factor-enrol", "accounts:choose-organization"}


def gate(request: HttpRequest) -> str | None:
    """VERIFY, ENROL or None: where a signed-in person must go before the page they asked for."""
    user = request.user
    if not user.is_authenticated:
        return None
    match = request.resolver_match
    name = match.view_name if match is not None else ""
    if name in OPEN_VIEWS or (match is not None and OPEN_NAMESPACES & set(match.namespaces)):
        return None
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    if has_authenticator(user):  # type: ignore[arg-type]
        return VERIFY
    if name not in OPEN_BEFORE_ENROLMENT and two_factor_required(
        user=user,  # type: ignore[arg-type]
        organization=getattr(request, "organization", None),
    ):
        return ENROL
    return None
