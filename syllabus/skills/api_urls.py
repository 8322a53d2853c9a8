"""The skills framework's REST endpoints under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from syllabus.skills import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("skills/", api.SkillListApi.as_view(), name="skills"),
    path("skills/import/", api.SkillImportApi.as_view(), name="skills-import"),
    path("skills/export.csv", api.SkillExportApi.as_view(), name="skills-export"),
    path("skills/<int:pk>/", api.SkillDetailApi.as_view(), name="skill-detail"),
    path("proficiency-scales/", api.ScaleListApi.as_view(), name="proficiency-scales"),
    path("proficiency-scales/default/", api.ScaleDefaultApi.as_view(), name="proficiency-scale-default"),
    path("proficiency-scales/<int:pk>/", api.ScaleDetailApi.as_view(), name="proficiency-scale-detail"),
]
