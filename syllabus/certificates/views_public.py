"""(being written by the badges work) Public views: verification and what OB 3.0 verifiers dereference."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse


def verify(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return JsonResponse({})


def verify_upload(request: HttpRequest) -> HttpResponse:
    return JsonResponse({})


def issuer(request: HttpRequest, slug: str) -> HttpResponse:
    return JsonResponse({})


def jwks(request: HttpRequest, slug: str) -> HttpResponse:
    return JsonResponse({})


def key(request: HttpRequest, kid: uuid.UUID) -> HttpResponse:
    return JsonResponse({})


def achievement(request: HttpRequest, award_id: int) -> HttpResponse:
    return JsonResponse({})


def badge_image(request: HttpRequest, award_id: int) -> HttpResponse:
    return JsonResponse({})
