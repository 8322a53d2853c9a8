from django.urls import path

from syllabus.audiences import views

app_name = "audiences"

urlpatterns = [
    path("audiences/", views.audience_list, name="list"),
    path("audiences/new/", views.audience_create, name="create"),
    path("audiences/preview/", views.audience_preview, name="preview"),
    path("audiences/<int:pk>/", views.audience_detail, name="detail"),
    path("audiences/<int:pk>/edit/", views.audience_edit, name="edit"),
    path("audiences/<int:pk>/delete/", views.audience_delete, name="delete"),
    path("audiences/<int:pk>/recompute/", views.audience_recompute, name="recompute"),
]
