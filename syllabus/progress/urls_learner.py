"""The learner's dashboard, transcript and external training; see progress/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.progress import views_learner

urlpatterns: list[URLPattern | URLResolver] = [
    path("learn/", views_learner.dashboard, name="dashboard"),
    path("learn/list/<slug:section>/", views_learner.dashboard_section, name="dashboard-section"),
    path("learn/transcript/", views_learner.transcript, name="transcript"),
    path("people/<int:membership_id>/transcript/", views_learner.person_transcript, name="person-transcript"),
    path("learn/external/", views_learner.external, name="external"),
    path("learn/external/approvals/", views_learner.external_approvals, name="external-approvals"),
    path("learn/external/<int:pk>/evidence/", views_learner.external_evidence, name="external-evidence"),
    path("learn/external/<int:pk>/decide/", views_learner.external_decide, name="external-decide"),
]
