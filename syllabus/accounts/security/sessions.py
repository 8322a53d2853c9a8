"""The person's signed-in browser sessions: recorded as they are used, listed, and ended ("sign out everywhere").

A `UserSession` row shadows each Django session of a signed-in person. It is created at sign-in (sessions from
before this feature get theirs on their next request), and `UserSessionMiddleware` refreshes `last_seen_at` at
most once a minute: a mark kept in the session itself says when the row was last written, so other requests cost
no query at all. Ending a session deletes the Django
session (whatever the session engine) and stamps the row's `ended_at`.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from syllabus.access import policy
from syllabus.accounts import events
from syllabus.accounts.models import Membership, User, UserSession
from syllabus.accounts.security.client import client_ip, client_user_agent
from syllabus.core import clock
from syllabus.core.events import emit

TOUCH_INTERVAL = dt.timedelta(minutes=1)
# [UserSession id, the session key it was written under, when (POSIX seconds)]
SESSION_MARK = "security_session"


def _session_store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key=session_key)
    return store


def session_touch(request: HttpRequest, *, user: User | None = None, force: bool = False) -> None:
    """Record that this signed-in session is in use (the row is created at sign-in, refreshed once a minute)."""
    user = user or getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated:
        return
    if not session.session_key and force:
        # Signing in over another person's session flushes it: the new session has no key until saved.
        session.save()
    if not session.session_key:
        return
    key, now = session.session_key, clock.now()
    mark = session.get(SESSION_MARK)
    fresh = mark and mark[1] == key and now.timestamp() - mark[2] < TOUCH_INTERVAL.total_seconds()
    if fresh and not force:
        return
    fields = {
        "session_key": key,
        "last_seen_at": now,
        "ip_address": client_ip(request),
        "user_agent": client_user_agent(request),
    }
    row_id: int | None = None
    if mark:
        # The key changes when Django rotates it (sign-in, password change): the row follows the session.
        if UserSession.objects.filter(pk=mark[0], user=user, ended_at__isnull=True).update(**fields):
            row_id = mark[0]
        elif UserSession.objects.filter(pk=mark[0], ended_at__isnull=False).exists():
            # Ended from elsewhere while this request ran; a cache-backed session would otherwise be saved back.
            session.flush()
            return
    if row_id is None:
        row, _created = UserSession.objects.update_or_create(
            session_key=key, defaults={"user": user, "ended_at": None, **fields}
        )
        row_id = row.pk
    session[SESSION_MARK] = [row_id, key, now.timestamp()]


def current_session_id(request: HttpRequest) -> int | None:
    mark = request.session.get(SESSION_MARK)
    return int(mark[0]) if mark else None


# --- reads -------------------------------------------------------------------------------------------------


def user_session_list(*, user: User) -> QuerySet[UserSession]:
    """The person's live sessions, most recently used first (one query).

    A session nobody ended but that was idle longer than SESSION_COOKIE_AGE has expired: it is left out.
    """
    idle_limit = clock.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return UserSession.objects.filter(user=user, ended_at__isnull=True, last_seen_at__gte=idle_limit).order_by(
        "-last_seen_at", "-pk"
    )


# --- services ------------------------------------------------------------------------------------------------


def _end_sessions(*, user: User, actor_id: int | None, keep_session_key: str | None) -> int:
    rows = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    if not keys:
        return 0
    for key in keys:
        _session_store(key).delete()
    count = UserSession.objects.filter(user=user, session_key__in=keys, ended_at__isnull=True).update(
        ended_at=clock.now()
    )
    if count:
        emit(events.SessionsEnded(user_id=user.pk, actor_id=actor_id, count=count))
    return count


def sessions_end(*, user: User, by: User, keep_session_key: str | None = None) -> int:
    """Sign the person out of their sessions, all but `keep_session_key` (their current one) if given.

    Only the person themselves; admins use `person_sessions_end`. Returns how many ended; emits SessionsEnded.
    """
    if by.pk != user.pk:
        raise PermissionDenied(policy.NOT_ALLOWED)
    return _end_sessions(user=user, actor_id=by.pk, keep_session_key=keep_session_key)


def person_sessions_end(*, membership: Membership, by: User) -> int:
    """An admin signs a person out everywhere (people.deactivate over them): every session, in every organisation."""
    policy.require(by, "people.deactivate", membership.organization, membership)
    return _end_sessions(user=membership.user, actor_id=by.pk, keep_session_key=None)


def signed_in_record(*, user: User, request: HttpRequest | None, two_factor: bool) -> None:
    """Someone has signed in (the user_logged_in adapter): their session gets its row at once."""
    session_id = None
    if request is not None:
        session_touch(request, user=user, force=True)
        if getattr(request, "session", None) is not None:
            session_id = current_session_id(request)
    emit(
        events.UserSignedIn(
            user_id=user.pk, ip_address=client_ip(request), two_factor=two_factor, session_id=session_id
        )
    )


def signed_out_record(*, user: User, request: HttpRequest | None) -> None:
    """Someone signs out (the user_logged_out adapter, before Django clears the session): their row ends."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if key:
        UserSession.objects.filter(user=user, session_key=key, ended_at__isnull=True).update(ended_at=clock.now())
    emit(events.UserSignedOut(user_id=user.pk, ip_address=client_ip(request)))
