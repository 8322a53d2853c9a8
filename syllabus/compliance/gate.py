"""Who the sign-in gate holds, remembered in the session so most requests pay no query.

At sign-in (Django's `user_logged_in`, a thin adapter in apps.py) the organisations in which the person is overdue
or expired in an active gating program are read once and kept in the session with the time they were read. The
middleware then asks the database again only:
- for an organisation the session says the person is gated in (to find the courses that stay open, and to let
  them through as soon as they are back in good standing), and
- when the remembered answer is older than `REFRESH_SECONDS` (someone who turns overdue at midnight while
  signed in is held within that long).
"""

from __future__ import annotations

import time
from typing import Any

from syllabus.compliance.models import Assignment, ProgramStatus, StatusCode

SESSION_KEY = "compliance_gate"
REFRESH_SECONDS = 15 * 60
GATED_STATUSES = (StatusCode.OVERDUE, StatusCode.EXPIRED)


def gated_organization_ids(user_id: int) -> list[int]:
    """The organisations in which this person is held by a gating program now (one indexed query)."""
    return sorted(
        set(
            Assignment.objects.filter(
                membership__user_id=user_id,
                membership__is_active=True,
                ended_at__isnull=True,
                status__in=GATED_STATUSES,
                program__gating=True,
                program__status=ProgramStatus.ACTIVE,
            )
            .order_by()
            .values_list("organization_id", flat=True)
        )
    )


def remember(session: Any, user_id: int) -> list[int]:
    """Read and keep the person's gated organisations in the session; returns them."""
    organizations = gated_organization_ids(user_id)
    session[SESSION_KEY] = {"orgs": organizations, "at": time.time()}
    return organizations


def held_in(session: Any, user_id: int, organization_id: int) -> bool:
    """True when the session says (or, once stale or unknown, the database says) the person may be gated here."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict) or time.time() - float(state.get("at", 0)) > REFRESH_SECONDS:
        return organization_id in remember(session, user_id)
    return organization_id in state.get("orgs", ())


def released(session: Any, organization_id: int) -> None:
    """The person is no longer held in this organisation (found while checking): forget it until the next read."""
    state = session.get(SESSION_KEY)
    if isinstance(state, dict) and organization_id in state.get("orgs", ()):
        session[SESSION_KEY] = {**state, "orgs": [o for o in state["orgs"] if o != organization_id]}


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Django's sign-in signal: remember where the person is held, so the first page already knows."""
    session = getattr(request, "session", None)
    if session is not None and getattr(user, "pk", None) is not None:
        remember(session, user.pk)
