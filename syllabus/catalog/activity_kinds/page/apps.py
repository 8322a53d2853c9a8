from django.apps import AppConfig


class PageKindConfig(AppConfig):
    name = "syllabus.catalog.activity_kinds.page"
    label = "activity_page"
    verbose_name = "Activity kind: page"

    def ready(self) -> None:
        from syllabus.catalog.activity_kinds import base
        from syllabus.catalog.activity_kinds.page.kind import PageKind

        base.register(PageKind())
