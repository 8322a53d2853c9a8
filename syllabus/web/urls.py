from django.urls import path

from syllabus.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("branding.css", views.branding_css, name="branding-css"),
]
