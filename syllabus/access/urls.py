from django.urls import path

from syllabus.access import views

app_name = "access"

urlpatterns = [
    path("settings/roles/", views.role_list, name="roles"),
    path("settings/roles/new/", views.role_create, name="role-create"),
    path("settings/roles/<int:pk>/edit/", views.role_edit, name="role-edit"),
    path("settings/roles/<int:pk>/delete/", views.role_delete, name="role-delete"),
    path("people/<int:pk>/roles/", views.person_roles, name="person-roles"),
    path("people/<int:pk>/roles/<int:assignment_pk>/remove/", views.person_role_remove, name="person-role-remove"),
]
