"""The holder's Open Badge downloads, and the organisation's signing keys page.

Downloads (`/certificates/<public_id>/badge.<ext>`), for the holder and whoever may see the certificate
(`policy.can_see`); anyone else, another organisation's id, or a certificate issued without a badge: 404, the
same answer for all, so an id's existence is not confirmed to someone who may not see it.
- `.json`: the OpenBadgeCredential JSON (OB 3.0's JSON document; unsigned — the signature is the .jwt).
- `.jwt`: the compact JWS (VC-JWT), the credential with its proof.
- `.png` / `.svg`: the badge image with the VC-JWT baked in.

Keys (`certificate.manage`): each key with how many certificates it signed, and rotating the active one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from syllabus.access.decorators import organization_view as access_organization_view
from syllabus.access.policy import NOT_ALLOWED, Principal
from syllabus.accounts.models import Organization, User
from syllabus.certificates import badge_image, baking, credentials, keys, policy
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import keys as key_services

View = Callable[..., HttpResponse]

CONTENT_TYPES = {
    "json": "application/json",
    "jwt": "application/jwt",
    "png": "image/png",
    "svg": "image/svg+xml",
}
CONFIRM_ROTATION = "Tick the box to confirm the rotation."


def organization_view(view: View) -> View:
    """access's `organization_view`, for members of the organisation only (badges and keys are theirs)."""

    @access_organization_view
    @wraps(view)
    def wrapper(
        request: HttpRequest, organization: Organization, principal: Principal, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if not principal.is_member:
            raise PermissionDenied(NOT_ALLOWED)
        return view(request, organization, principal, *args, **kwargs)

    return wrapper


# --- the holder's downloads ------------------------------------------------------------------------------------


def _badged_certificate(organization: Organization, principal: Principal, public_id: Any) -> Certificate:
    certificate = (
        Certificate.objects.filter(organization=organization, public_id=public_id)
        .exclude(credential="")
        .select_related("organization")
        .first()
    )
    if certificate is None or not policy.can_see(principal, certificate):
        raise Http404
    return certificate


def file_name(certificate: Certificate, extension: str) -> str:
    """`<slug-of-title>-<date>.<ext>`, ASCII only so every browser keeps it."""
    stem = slugify(certificate.title)[:80].strip("-") or "certificate"
    return f"{stem}-{certificate.issued_at.date().isoformat()}.{extension}"


def _download(certificate: Certificate, extension: str, content: bytes | str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{file_name(certificate, extension)}"'
    # Personal documents: no shared cache keeps them.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _achievement(certificate: Certificate) -> str:
    """The achievement's name as the credential carries it (what was true when issued)."""
    try:
        return str(credentials.document_of(certificate.credential)["credentialSubject"]["achievement"]["name"])
    except (ValueError, KeyError, TypeError):
        return certificate.title


@organization_view
@require_safe
def badge_download(
    request: HttpRequest, organization: Organization, principal: Principal, public_id: Any, extension: str
) -> HttpResponse:
    certificate = _badged_certificate(organization, principal, public_id)
    token = certificate.credential
    color = certificate.organization.primary_color
    content: bytes | str
    if extension == "json":
        content = json.dumps(credentials.document_of(token), indent=2, ensure_ascii=False)
    elif extension == "jwt":
        content = token
    elif extension == "png":
        content = baking.bake_png(badge_image.png(name=_achievement(certificate), color=color), token)
    elif extension == "svg":
        content = baking.bake_svg(badge_image.svg(name=_achievement(certificate), color=color), token)
    else:
        raise Http404
    return _download(certificate, extension, content)


# --- signing keys ----------------------------------------------------------------------------------------------


class RotateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I understand: badges issued from now on are signed with a new key; badges already issued keep "
            "verifying with the key that signed them."
        ),
        error_messages={"required": CONFIRM_ROTATION},
    )


def _manager(principal: Principal) -> None:
    if not policy.can_manage(principal):
        raise PermissionDenied(NOT_ALLOWED)


def _keys_page(request: HttpRequest, organization: Organization, form: RotateForm, status: int = 200) -> HttpResponse:
    context = {
        "keys": list(keys.with_usage(organization)),
        "form": form,
        "jwks_url": reverse("certificates:jwks", args=[organization.slug]),
    }
    return render(request, "certificates/keys/list.html", context, status=status)


@organization_view
@require_safe
def key_list(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _manager(principal)
    return _keys_page(request, organization, RotateForm())


@organization_view
@require_POST
def key_rotate(request: HttpRequest, organization: Organization, principal: Principal) -> HttpResponse:
    _manager(principal)
    form = RotateForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, organization, form, status=400)
    user: User = request.user  # type: ignore[assignment]
    key = key_services.key_rotate(organization=organization, by=user)
    messages.success(request, gettext("A new signing key is active (%(kid)s).") % {"kid": key.kid})
    return redirect("certificates:keys")
