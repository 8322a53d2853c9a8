from django.urls import path

from syllabus.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.audit_trail, name="trail"),
    path("audit/export.csv", views.audit_export, name="export"),
    path("audit/verify/", views.audit_verify, name="verify"),
    # A person's data-protection requests (linked from their page in People).
    path("people/<int:pk>/privacy/", views.person_privacy, name="person-privacy"),
    path("people/<int:pk>/privacy/export/", views.person_export, name="person-export"),
    path("people/<int:pk>/privacy/erase/", views.person_erase, name="person-erase"),
]
