"""Template context shared by every page: branding, navigation and the current organisation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from syllabus.access.policy import Principal, principal_for
from syllabus.accounts.selectors import ORGANIZATION_COUNT_ATTR, organizations_for_user
from syllabus.web.navigation import ADMIN, MAIN, visible_items


def shell(request: HttpRequest) -> dict[str, Any]:
    organization = getattr(request, "organization", None)
    context: dict[str, Any] = {"platform_name": settings.SYLLABUS_PLATFORM_NAME, "current_organization": organization}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    principal = principal_for(user, organization)
    context.update(
        principal=principal,
        nav_main=visible_items(MAIN, principal),
        nav_admin=visible_items(ADMIN, principal),
        current_path=request.path,
        can_switch_organization=_can_switch(request, principal),
    )
    return context


def _can_switch(request: HttpRequest, principal: Principal) -> bool:
    if principal.is_platform_admin:
        return True
    # Told by the organisation middleware with the organisation (up to 2, which is all this asks); else one cheap
    # query per page, cached on the request for partials that render the nav again.
    cached = getattr(request, ORGANIZATION_COUNT_ATTR, None)
    if cached is None:
        cached = organizations_for_user(user=request.user).count()  # type: ignore[arg-type]
        setattr(request, ORGANIZATION_COUNT_ATTR, cached)
    return bool(cached > 1)
