"""The learner's pages: "My compliance", acknowledging, signing a completion, a signature's manifestation.

All under `mine/`, which the compliance gate (middleware.py) leaves open to people it sends there.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from syllabus.compliance import views_learner

urlpatterns: list[URLPattern] = [
    path("mine/", views_learner.mine, name="mine"),
    path("mine/<int:pk>/acknowledge/", views_learner.acknowledge, name="my-acknowledge"),
    path("mine/<int:pk>/sign/<int:completion_pk>/", views_learner.sign, name="my-sign"),
    path("mine/signatures/<int:pk>/", views_learner.signature, name="my-signature"),
]
