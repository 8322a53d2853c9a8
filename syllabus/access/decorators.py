"""The decorator every organisation page uses: signed in, acting in an organisation, with the person's grants.

`@organization_view` sends someone who has not chosen an organisation yet to the chooser (and back afterwards),
then calls the view as `view(request, organization, principal, *args, **kwargs)`. The view still decides what the
principal may do there (`principal.can(...)`, or the app's policy): this only says who is asking, and where.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from syllabus.access.policy import principal_for
from syllabus.core.tenancy import current_organization

View = Callable[..., Any]


def organization_view(view: View) -> View:
    """Signed in and acting in an organisation (else choose one first); passes it and the principal on."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organization = current_organization(request)
        if organization is None:
            chooser = reverse("accounts:choose-organization")
            return redirect(f"{chooser}?{urlencode({'next': request.get_full_path()})}")
        return view(request, organization, principal_for(request.user, organization), *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper
