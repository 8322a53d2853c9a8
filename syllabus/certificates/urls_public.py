"""Public pages and documents, no sign-in: the verification page, verification of a badge file, and what Open Badges
verifiers dereference (the issuer's profile, achievements, badge images, public keys)."""

from __future__ import annotations

from django.urls import path

from syllabus.certificates import views_public

urlpatterns = [
    path("verify/", views_public.verify_upload, name="verify-upload"),
    # Any text, not only a UUID: a mistyped id gets the page that says no certificate has it, not a generic 404.
    path("verify/<str:public_id>/", views_public.verify, name="verify"),
    path("badges/issuers/<slug:slug>/", views_public.issuer, name="issuer"),
    path("badges/issuers/<slug:slug>/jwks.json", views_public.jwks, name="jwks"),
    path("badges/keys/<uuid:kid>/", views_public.key, name="key"),
    path("badges/achievements/<uuid:public_id>/", views_public.achievement, name="achievement"),
    path("badges/achievements/<uuid:public_id>/image.svg", views_public.badge_image, name="badge-image"),
]
