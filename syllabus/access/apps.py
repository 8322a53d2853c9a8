from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "syllabus.access"
    label = "access"
    verbose_name = "Access"
