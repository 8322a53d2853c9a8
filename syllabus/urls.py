from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
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
    path("", include("syllabus.enrollment.urls")),
    path("", include("syllabus.progress.urls")),
    path("", include("syllabus.notifications.urls")),
    path("compliance/", include("syllabus.compliance.urls")),
    path("certificates/", include("syllabus.certificates.urls")),
    path("assessment/", include("syllabus.assessment.urls")),
    path("", include("syllabus.grades.urls")),
    path("api/", include("syllabus.api_urls")),
    path("django-admin/", admin.site.urls),
]

if not settings.PRODUCTION:
    # Only organisation logos are public files. Course files go through the permission-checked asset view
    # (catalog:asset) and HR import files are never served; production serves logos from object storage or the
    # front proxy, and must keep the rest of MEDIA_ROOT private.
    urlpatterns.append(re_path(r"^media/(?P<path>org-logos/[^/]+)$", serve, {"document_root": settings.MEDIA_ROOT}))
