from django.urls import path

from syllabus.notifications import views, views_admin

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.centre, name="centre"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.mark_all_read, name="mark_all_read"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark_read"),
    path("notifications/<int:pk>/unread/", views.mark_unread, name="mark_unread"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/settings/", views_admin.types, name="admin_types"),
    path("notifications/settings/log/", views_admin.delivery_log, name="admin_log"),
    path("notifications/settings/<str:type_key>/<str:language>/", views_admin.template_edit, name="admin_template"),
]
