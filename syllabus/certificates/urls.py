"""Pages of certificates, one module per area: the public verification and badge endpoints, the holder's
certificates, the certificates others see and revoke, templates, awards and signing keys."""

from __future__ import annotations

from syllabus.certificates import urls_awards, urls_badges, urls_learner, urls_manage, urls_public, urls_templates

app_name = "certificates"
urlpatterns = [
    *urls_public.urlpatterns,
    *urls_learner.urlpatterns,
    *urls_manage.urlpatterns,
    *urls_templates.urlpatterns,
    *urls_awards.urlpatterns,
    *urls_badges.urlpatterns,
]
