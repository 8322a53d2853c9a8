"""Celery application: `celery -A syllabus worker` and `celery -A syllabus beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")

app = Celery("syllabus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
