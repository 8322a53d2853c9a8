"""What certificates tell their holders, through the notifications app: the types, and the handlers of the
certificates' own events. The expiry reminders are sent nightly by `reminders.py` with the types declared here.

| occasion | type | dedupe key |
|---|---|---|
| a certificate is issued (CertificateIssued, a re-issue too) | `issued` | `certificate:<id>:issued` |
| N days before it expires, for each N of the award's `remind_days` | `expiring` | `certificate:<id>:expiring:<N>` |
| the day it expires, unless a newer valid one replaced it | `expired` | `certificate:<id>:expired` |
| it is revoked (CertificateRevoked), with the reason | `revoked` | `certificate:<id>:revoked` |

Every notice goes to the holder (type keys start with "certificate."). The holder is told why a certificate was
revoked: it is theirs, and its verification page now tells anyone who checks it that it is revoked. The officer's
reason is kept on one line and quoted as theirs, so it cannot pass for Syllabus speaking.

Handlers run after the business action committed and never raise into it; every notice carries a dedupe key
naming its occasion, so an event handled twice tells nobody twice. Links lead to the holder's page of the
certificate (`certificates:detail`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.certificates import events
from syllabus.certificates.models import Certificate, organization_zone
from syllabus.core import clock
from syllabus.core.events import subscribe
from syllabus.notifications import rendering, types
from syllabus.notifications import services as notifications
from syllabus.notifications.models import Notification
from syllabus.notifications.types import NotificationType, Placeholder

ISSUED = "certificate.issued"
EXPIRING = "certificate.expiring"
EXPIRED = "certificate.expired"
REVOKED = "certificate.revoked"

# The longest part of a revocation reason that goes into the message (the whole reason is on the certificate).
REASON_MAX = 500

CATEGORY = _("Certificates")

_TITLE = Placeholder(_("What the certificate is for: the course or program"), _("Fire safety for clinical areas"))
_ISSUED_ON = Placeholder(_("The day it was issued"), _("March 2, 2026"))
# The day people are shown is the last day it is valid, what the PDF prints (`Certificate.valid_until`).
_VALID_UNTIL = Placeholder(_("The last day it is valid"), _("March 1, 2027"))

TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        key=ISSUED,
        label=_("Certificate issued"),
        description=_("You earned a certificate: it is ready to download, share and verify."),
        category=CATEGORY,
        subject=_("Your certificate for {{ title }} is ready"),
        body=_(
            "Congratulations: you earned a certificate for {{ title }}, issued on {{ issued_on }}. {{ validity }}"
            "\n\nDownload it, share its verification link or keep its Open Badge from your certificates page."
        ),
        placeholders={
            "title": _TITLE,
            "issued_on": _ISSUED_ON,
            "validity": Placeholder(
                _("A whole sentence saying until when it is valid, or that it does not expire"),
                _("It is valid until March 1, 2027."),
            ),
        },
    ),
    NotificationType(
        key=EXPIRING,
        label=_("Certificate expiring"),
        description=_("Reminders before one of your certificates expires (the award sets how many days before)."),
        category=CATEGORY,
        subject=_("Your certificate for {{ title }} expires in {{ days }} day(s)"),
        body=_(
            "Your certificate for {{ title }} expires in {{ days }} day(s): it is valid until {{ valid_until }}. "
            "Complete the training again before then to receive a new one."
        ),
        placeholders={
            "title": _TITLE,
            "valid_until": _VALID_UNTIL,
            "days": Placeholder(_("Days left until it expires"), "30"),
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=EXPIRED,
        label=_("Certificate expired"),
        description=_("One of your certificates expired and no newer one replaces it."),
        category=CATEGORY,
        subject=_("Your certificate for {{ title }} has expired"),
        body=_(
            "Your certificate for {{ title }} has expired: it was valid until {{ valid_until }}, and its "
            "verification page now says it is expired. Complete the training again to receive a new one."
        ),
        placeholders={
            "title": _TITLE,
            "valid_until": _VALID_UNTIL,
        },
        org_mandatory_allowed=True,
    ),
    NotificationType(
        key=REVOKED,
        label=_("Certificate revoked"),
        description=_("One of your certificates was revoked, and why."),
        category=CATEGORY,
        subject=_("Your certificate for {{ title }} was revoked"),
        body=_(
            "{{ organization }} revoked your certificate for {{ title }}, issued on {{ issued_on }}: its "
            "verification page now says it is revoked.\n\n{{ reason }}"
        ),
        placeholders={
            "title": _TITLE,
            "issued_on": _ISSUED_ON,
            "organization": Placeholder(_("Name of the organisation"), "Northwind Health"),
            "reason": Placeholder(
                _("The reason given, quoted as theirs and cut to 500 characters"),
                _("Their reason: “Issued in error: the practical assessment was not observed.”"),
            ),
        },
    ),
)


# --- helpers shared with reminders.py ----------------------------------------------------------------------------


def language_of(locale: str, organization: Organization | None) -> str:
    # The language the notifications app renders the message in: sentences written here must match it.
    return locale or (organization.default_language if organization is not None else "") or "en"


def zone_of(organization: Organization | None) -> zoneinfo.ZoneInfo:
    return organization_zone(organization)


def local_day(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The day of `moment` in the organisation's time zone: certificates expire on a day, not at an hour."""
    return moment.astimezone(zone).date()


def certificate_link(public_id: object) -> str:
    """The holder's page of the certificate (the verification page while that page is not installed)."""
    for name in ("certificates:detail", "certificates:verify"):
        try:
            return reverse(name, args=[public_id])
        except NoReverseMatch:
            continue
    return ""


def key(certificate_id: int, occasion: str) -> str:
    return f"certificate:{certificate_id}:{occasion}"


def validity_sentence(valid_until: dt.date | None, *, language: str, time_zone: str) -> str:
    """`valid_until`: the last day it is valid (`Certificate.valid_until`), the day the PDF prints."""
    with translation.override(language):
        if valid_until is None:
            return gettext("It does not expire.")
        day = rendering.format_value(valid_until, time_zone=time_zone)
        return gettext("It is valid until {date}.").format(date=day)


def quoted_reason(text: str, *, language: str) -> str:
    """The officer's reason, marked as their words: one line, at most REASON_MAX characters."""
    text = " ".join(text.split())
    if len(text) > REASON_MAX:
        text = text[: REASON_MAX - 1].rstrip() + "…"
    with translation.override(language):
        if not text:
            return gettext("No reason was given.")
        return gettext("Their reason: “{reason}”").format(reason=text)


# --- the occasions -------------------------------------------------------------------------------------------------


def _certificate(certificate_id: int) -> Certificate | None:
    return Certificate.objects.filter(pk=certificate_id).select_related("organization", "membership__user").first()


def send_issued(certificate_id: int) -> Notification | None:
    """Tell the holder their certificate is ready (not when it was revoked, replaced or expired meanwhile: a
    certificate issued late for an old completion is on their page, but is no news to announce)."""
    certificate = _certificate(certificate_id)
    if certificate is None or not certificate.membership.is_active:
        return None
    if certificate.status_on(clock.now()) != Certificate.State.VALID:
        return None
    user, organization = certificate.membership.user, certificate.organization
    zone = zone_of(organization)
    return notifications.notify(
        notifications.Notice(
            recipient_id=user.pk,
            type=ISSUED,
            dedupe_key=key(certificate.pk, "issued"),
            context={
                "title": certificate.title,
                "issued_on": local_day(certificate.issued_at, zone),
                "validity": validity_sentence(
                    certificate.valid_until(zone),
                    language=language_of(user.locale, organization),
                    time_zone=user.time_zone,
                ),
            },
            organization_id=certificate.organization_id,
            url=certificate_link(certificate.public_id),
        )
    )


def send_revoked(certificate_id: int) -> Notification | None:
    certificate = _certificate(certificate_id)
    if certificate is None or certificate.state != Certificate.State.REVOKED or not certificate.membership.is_active:
        return None
    user, organization = certificate.membership.user, certificate.organization
    return notifications.notify(
        notifications.Notice(
            recipient_id=user.pk,
            type=REVOKED,
            dedupe_key=key(certificate.pk, "revoked"),
            context={
                "title": certificate.title,
                "issued_on": local_day(certificate.issued_at, zone_of(organization)),
                "organization": organization.name,
                "reason": quoted_reason(certificate.revoke_reason, language=language_of(user.locale, organization)),
            },
            organization_id=certificate.organization_id,
            url=certificate_link(certificate.public_id),
        )
    )


@notifications.never_fails
def on_certificate_issued(event: events.CertificateIssued) -> None:
    send_issued(event.certificate_id)


@notifications.never_fails
def on_certificate_revoked(event: events.CertificateRevoked) -> None:
    send_revoked(event.certificate_id)


def connect() -> None:
    for kind in TYPES:
        types.register(kind)
    subscribe(events.CertificateIssued, on_certificate_issued)
    subscribe(events.CertificateRevoked, on_certificate_revoked)
