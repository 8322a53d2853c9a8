"""Operations endpoints at the site root: /healthz, /readyz and /metrics (Prometheus, from django_prometheus)."""

from django.urls import path

from syllabus.core import ops

app_name = "core"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]
