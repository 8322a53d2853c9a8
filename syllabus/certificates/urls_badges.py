"""See certificates/urls.py. The holder's Open Badge downloads (JSON, VC-JWT, baked PNG and SVG) and the
organisation's signing keys."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.certificates import views_badges

urlpatterns: list[URLPattern] = [
    *(
        path(
            f"<uuid:public_id>/badge.{extension}",
            views_badges.badge_download,
            {"extension": extension},
            name=f"badge-{extension}",
        )
        for extension in ("json", "jwt", "png", "svg")
    ),
    path("keys/", views_badges.key_list, name="keys"),
    path("keys/rotate/", views_badges.key_rotate, name="key-rotate"),
]
