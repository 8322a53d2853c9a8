"""Password rules and the one place a password changes (by the person, or through a reset link)."""

from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from syllabus.access import policy
from syllabus.accounts import events
from syllabus.accounts.models import Organization, User
from syllabus.accounts.security import lockout, sessions
from syllabus.core.events import emit

PERSONAL_DATA = gettext_noop("Your password can’t contain your email name or the name of your organisation.")
# Shorter fragments ("li", "abc") would refuse too many good passwords for too little benefit.
MIN_FRAGMENT_LENGTH = 4


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


class PersonalDataValidator:
    """Refuses passwords containing the email's name part (or a piece of it) or an organisation's name.

    Guessing starts with what is known about the target: the name before the @ and the employer. Django's
    similarity validator compares the whole password with the whole attribute; this one looks inside it.
    """

    def fragments(self, user: User) -> set[str]:
        local_part = (getattr(user, "email", "") or "").split("@")[0]
        found = {_letters_and_digits(local_part)}
        found.update(_letters_and_digits(piece) for piece in re.split(r"[._+\-]", local_part))
        if getattr(user, "pk", None):
            organizations = Organization.objects.filter(pk__in=user.memberships.values("organization_id"))
            for name, slug in organizations.values_list("name", "slug"):
                found.update({_letters_and_digits(name), _letters_and_digits(slug)})
        return {fragment for fragment in found if len(fragment) >= MIN_FRAGMENT_LENGTH}

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None:
            return
        flattened = _letters_and_digits(password)
        if any(fragment in flattened for fragment in self.fragments(user)):
            raise ValidationError(_(PERSONAL_DATA), code="password_has_personal_data")

    def get_help_text(self) -> str:
        return _(PERSONAL_DATA)


def password_rules() -> list[str]:
    """The rules every new password must follow, as sentences (shown next to every new-password field)."""
    return [str(text) for text in password_validation.password_validators_help_texts()]


def password_set(*, user: User, by: User, password: str, via_reset: bool, keep_session_key: str | None = None) -> User:
    """Give the person a new password: by themselves (signed in, or through a reset link they were emailed).

    Their other sessions end (Django would refuse them anyway, their password hash being part of the session);
    a reset ends every session and also clears a sign-in lockout, since following the link proved they own the
    mailbox. Emits PasswordChanged (and SessionsEnded when sessions were ended).
    """
    if by.pk != user.pk:
        raise PermissionDenied(policy.NOT_ALLOWED)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions.sessions_end(user=user, by=by, keep_session_key=None if via_reset else keep_session_key)
    if via_reset:
        lockout.lockout_clear(email=user.email)
    emit(events.PasswordChanged(user_id=user.pk, actor_id=by.pk, via_reset=via_reset))
    return user


def password_reset_requested(*, email: str) -> int:
    """Someone asked for a reset link for `email` (on the worker): each active account with that address gets one,
    sent by the notifications app on `PasswordResetRequested`. Returns how many accounts were found."""
    user_ids = list(User.objects.filter(email__iexact=email.strip(), is_active=True).values_list("pk", flat=True))
    for user_id in user_ids:
        emit(events.PasswordResetRequested(user_id=user_id))
    return len(user_ids)
