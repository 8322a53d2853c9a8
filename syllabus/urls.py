from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("syllabus.core.urls")),
    path("", include("syllabus.web.urls")),
    path("", include("syllabus.accounts.urls")),
    path("", include("syllabus.access.urls")),
    path("", include("syllabus.audiences.urls")),
    path("", include("syllabus.audit.urls")),
    path("", include("syllabus.catalog.urls")),
    path("", include("syllabus.skills.urls")),
    path("api/", include("syllabus.api_urls")),
    path("django-admin/", admin.site.urls),
]

if not settings.PRODUCTION:
    # Production serves media from object storage or the front proxy.
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
