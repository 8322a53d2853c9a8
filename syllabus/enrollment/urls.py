"""Enrollment pages; each area keeps its own module (learner side, course team, manager's team, rules)."""

from django.urls import URLPattern, URLResolver

from syllabus.enrollment import urls_course, urls_learner, urls_rules, urls_team

app_name = "enrollment"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_learner.urlpatterns,
    *urls_course.urlpatterns,
    *urls_team.urlpatterns,
    *urls_rules.urlpatterns,
]
