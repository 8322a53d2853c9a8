"""See certificates/urls.py. Certificate templates (`certificate.manage`): the list, the editor with its live preview,
the preview as PDF, and the actions on one template."""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.certificates import views_templates

TEMPLATE = "templates/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("templates/", views_templates.template_list, name="templates"),
    path("templates/new/", views_templates.template_create, name="template-create"),
    path("templates/ready-made/", views_templates.template_add_defaults, name="template-add-defaults"),
    path("templates/preview/", views_templates.template_preview, name="template-preview"),
    path(TEMPLATE, views_templates.template_edit, name="template-edit"),
    path(f"{TEMPLATE}preview.pdf", views_templates.template_preview_pdf, name="template-preview-pdf"),
    path(f"{TEMPLATE}default/", views_templates.template_default, name="template-default"),
    path(f"{TEMPLATE}archive/", views_templates.template_archive, name="template-archive"),
    path(f"{TEMPLATE}restore/", views_templates.template_restore, name="template-restore"),
    path(f"{TEMPLATE}delete/", views_templates.template_delete, name="template-delete"),
]
