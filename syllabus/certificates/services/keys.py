"""Signing keys: rotating the organisation's Open Badges key.

`key_rotate` makes a new active key and retires the old one. A retired key stays published (JWKS, its kid URL),
so every credential it signed keeps verifying; only new credentials are signed with the new key. Rotate when a
key may have leaked, or on a schedule.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.certificates import keys, policy
from syllabus.certificates.models import SigningKey

AUDIT_ACTIONS: tuple[tuple[str, Any], ...] = (
    ("certificate.key_rotated", _("Certificate signing key rotated")),
    # Written by keys.active_key, the system as actor: the first key, and a key SECRET_KEY can no longer unseal.
    ("certificate.key_created", _("Certificate signing key created")),
    ("certificate.key_replaced", _("Unreadable certificate signing key replaced")),
)


def key_rotate(*, organization: Organization, by: User) -> SigningKey:
    """A new active signing key for `organization` (certificate managers); the previous one is retired."""
    if not policy.can_manage(principal_for(by, organization)):
        raise PermissionDenied(NOT_ALLOWED)
    with transaction.atomic():
        previous = SigningKey.objects.filter(organization=organization, state=SigningKey.State.ACTIVE).first()
        key = keys.key_create(organization=organization, by=by)
        audit_record(
            organization=organization,
            action="certificate.key_rotated",
            actor=by,
            target=key,
            before={"active_kid": str(previous.kid) if previous else None},
            after={"active_kid": str(key.kid)},
        )
    return key
