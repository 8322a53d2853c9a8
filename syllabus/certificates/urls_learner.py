"""The holder's pages: their certificates, one certificate, its PDF (and the PDF's state, polled while it is drawn).

Addressed by the certificate's public id (the same as the verification page's), never by the database id.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.certificates import views_learner

urlpatterns: list[URLPattern] = [
    path("mine/", views_learner.mine, name="mine"),
    path("<uuid:public_id>/", views_learner.detail, name="detail"),
    path("<uuid:public_id>/certificate.pdf", views_learner.pdf, name="pdf"),
    path("<uuid:public_id>/pdf-state/", views_learner.pdf_state, name="pdf-state"),
]
