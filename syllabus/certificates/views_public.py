"""Public pages and documents, no sign-in: the verification page of a certificate, the form that verifies a badge
file or a pasted credential, and what Open Badges verifiers dereference (the issuer's profile, its keys, an
achievement and its image).

- Certificate ids are global and unguessable: the page answers the same "no certificate has this id" for an id
  that never existed, a malformed one, and whatever else; no organisation scoping applies, none is needed.
- Minimal personal data: the recipient's name, what was achieved, the issuer, the dates and the status. Never the
  email, the score or the reason of a revocation.
- Not for search engines (X-Robots-Tag: noindex) and the id never leaks in a Referer (Referrer-Policy: no-referrer).
- Rate-limited per client address with the cache (verification.within_rate).
- The JSON documents allow any origin (verifiers run in browsers) and may be cached a few minutes; keys are
  never removed (retired keys stay published), so a cached JWKS never turns a valid badge invalid.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from syllabus.accounts.models import Organization
from syllabus.certificates import badge_image as badge_images
from syllabus.certificates import credentials, keys, verification
from syllabus.certificates.models import Award, Certificate, SigningKey
from syllabus.core import clock
from syllabus.core.request_context import client_ip

NO_SUCH_CERTIFICATE = "No certificate has this id."
NOT_FOUND = "Not found."
TOO_MANY = "Too many verifications from your address: wait a minute and try again."
GIVE_ONE = "Paste a credential or choose a badge image (one of the two)."
GIVE_ONLY_ONE = "Paste a credential or choose a badge image, not both."
FILE_TOO_LARGE = "The file is larger than {limit} MB."

# Per client address and minute; settings may change them (a verifier behind one address checking many badges).
PAGE_RATE_SETTING, PAGE_RATE = "CERTIFICATES_VERIFY_PAGE_RATE", 120
UPLOAD_RATE_SETTING, UPLOAD_RATE = "CERTIFICATES_VERIFY_UPLOAD_RATE", 30
DOCUMENT_MAX_AGE = 300
IMAGE_MAX_AGE = 3600


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _private_page(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _document(data: dict[str, Any], *, max_age: int = DOCUMENT_MAX_AGE, status: int = 200) -> HttpResponse:
    """A public JSON document for verifiers: any origin, cacheable for a while."""
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Robots-Tag"] = "noindex"
    if status == 200:
        patch_cache_control(response, public=True, max_age=max_age)
    else:
        patch_cache_control(response, no_cache=True)
    return response


def _not_found_document() -> HttpResponse:
    return _document({"error": {"status": 404, "code": "not_found", "message": NOT_FOUND}}, status=404)


def _wants_json(request: HttpRequest) -> bool:
    if request.GET.get("format") == "json":
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _within_rate(request: HttpRequest, scope: str, setting: str, default: int) -> bool:
    limit = int(getattr(settings, setting, default))
    return verification.within_rate(ident=verification.rate_key(client_ip(request)), scope=scope, limit=limit)


def _too_many(request: HttpRequest, *, as_json: bool) -> HttpResponse:
    if as_json:
        response: HttpResponse = JsonResponse(
            {"error": {"status": 429, "code": "throttled", "message": TOO_MANY}}, status=429
        )
    else:
        response = render(request, "certificates/public/too_many.html", {"message": TOO_MANY}, status=429)
    response["Retry-After"] = "60"
    return _private_page(response)


def facts_json(facts: dict[str, Any]) -> dict[str, Any]:
    """The verification page's facts as JSON (dates as ISO 8601 in UTC): instants, not the page's day in words."""
    out = dict(facts)
    out.pop("valid_until", None)
    for name in ("issued_at", "expires_at", "revoked_at"):
        out[name] = _iso(facts[name])
    return out


@require_safe
def verify(request: HttpRequest, public_id: str) -> HttpResponse:
    as_json = _wants_json(request)
    if not _within_rate(request, "verify-page", PAGE_RATE_SETTING, PAGE_RATE):
        return _too_many(request, as_json=as_json)
    try:
        parsed = uuid.UUID(public_id)
    except ValueError:
        parsed = None
    certificate = (
        Certificate.objects.filter(public_id=parsed).select_related("organization", "superseded_by").first()
        if parsed is not None
        else None
    )
    response: HttpResponse
    if certificate is None:
        if as_json:
            response = JsonResponse(
                {"error": {"status": 404, "code": "not_found", "message": NO_SUCH_CERTIFICATE}}, status=404
            )
            response["Access-Control-Allow-Origin"] = "*"
        else:
            response = render(
                request, "certificates/public/not_found.html", {"message": NO_SUCH_CERTIFICATE}, status=404
            )
    else:
        facts = verification.public_facts(certificate, clock.now())
        if as_json:
            response = JsonResponse(facts_json(facts), json_dumps_params={"ensure_ascii": False})
            response["Access-Control-Allow-Origin"] = "*"
        else:
            response = render(request, "certificates/public/verify.html", {"facts": facts})
    # The status changes (revocation, expiry): a cache must ask again every time.
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ["Accept"])
    return _private_page(response)


class VerifyForm(forms.Form):
    credential = forms.CharField(
        label=_("Paste a credential"),
        required=False,
        max_length=verification.TOKEN_LIMIT,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("A signed credential (VC-JWT, the .jwt download) or a credential's JSON."),
    )
    file = forms.FileField(
        label=_("Or choose a badge file"),
        required=False,
        help_text=_("A baked badge image (PNG or SVG) or a .jwt file, at most 5 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > verification.UPLOAD_LIMIT:
            raise forms.ValidationError(FILE_TOO_LARGE.format(limit=verification.UPLOAD_LIMIT // (1024 * 1024)))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pasted, upload = data.get("credential"), data.get("file")
        if pasted and upload:
            self.add_error("credential", GIVE_ONLY_ONE)
        elif not pasted and not upload and not self.errors:
            self.add_error("credential", GIVE_ONE)
        return data


def _verify_page(
    request: HttpRequest, form: VerifyForm, result: verification.Result | None, status: int
) -> HttpResponse:
    context = {
        "form": form,
        "result": result,
        "facts": verification.public_facts(result.certificate, clock.now()) if result and result.certificate else None,
    }
    response = render(request, "certificates/public/verify_upload.html", context, status=status)
    patch_cache_control(response, no_store=True)
    response = _private_page(response)
    # Not no-referrer here: under it the browser posts this page's form with "Origin: null", which Django's CSRF
    # check refuses (403). This address carries no certificate id; other sites still get no Referer.
    response["Referrer-Policy"] = "same-origin"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """The rate limit and the size limit come before anything reads the body. Checking the CSRF token reads a
    form's body, so it comes after them: `_verify_upload` is csrf_protect'ed (Django's pattern for uploads)."""
    if request.method == "POST":
        if not _within_rate(request, "verify-upload", UPLOAD_RATE_SETTING, UPLOAD_RATE):
            return _too_many(request, as_json=False)
        if verification.body_too_large(request.META):
            refused = verification.Result(source="file").fail(
                FILE_TOO_LARGE.format(limit=verification.UPLOAD_LIMIT // (1024 * 1024))
            )
            return _verify_page(request, VerifyForm(), refused, 413)
    return _verify_upload(request)


@csrf_protect
def _verify_upload(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, even an empty one, so it says what is missing.
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    result = None
    # A form with errors is the page again with its error summary, answered 200 like every form of the app.
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        result = (
            verification.verify_upload(upload)
            if upload is not None
            else verification.verify_text(form.cleaned_data["credential"])
        )
    return _verify_page(request, form, result, 200)


def _issuing_organization(slug: str) -> Organization | None:
    """An organisation that has issued badges (has a signing key); others have no issuer profile to show."""
    organization = Organization.objects.filter(slug=slug, is_active=True).first()
    if organization is None or not SigningKey.objects.filter(organization=organization).exists():
        return None
    return organization


@require_safe
def issuer(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _issuing_organization(slug)
    if organization is None:
        return _not_found_document()
    return _document(credentials.issuer_profile(organization))


@require_safe
def jwks(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _issuing_organization(slug)
    if organization is None:
        return _not_found_document()
    return _document({"keys": [keys.public_jwk(key) for key in keys.published(organization)]})


@require_safe
def key(request: HttpRequest, kid: uuid.UUID) -> HttpResponse:
    found = keys.find(kid)
    if found is None:
        return _not_found_document()
    return _document(keys.public_jwk(found))


def _badged_award(public_id: uuid.UUID) -> tuple[Award, Certificate] | None:
    """An award that has issued at least one Open Badge, with its latest one (whose names the achievement
    falls back on). Awards that never issued a badge are not published."""
    award = Award.objects.filter(public_id=public_id).select_related("organization", "course", "program").first()
    if award is None:
        return None
    latest = Certificate.objects.filter(award=award).exclude(credential="").order_by("-issued_at", "-pk").first()
    if latest is None:
        return None
    return award, latest


@require_safe
def achievement(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _badged_award(public_id)
    if found is None:
        return _not_found_document()
    award, latest = found
    return _document(credentials.achievement_document(award, latest))


@require_safe
def badge_image(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _badged_award(public_id)
    if found is None:
        return _not_found_document()
    response = HttpResponse(badge_images.award_svg(found[0]), content_type="image/svg+xml; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=IMAGE_MAX_AGE)
    return response
