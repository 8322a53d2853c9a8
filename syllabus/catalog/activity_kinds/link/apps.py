from django.apps import AppConfig


class LinkKindConfig(AppConfig):
    name = "syllabus.catalog.activity_kinds.link"
    label = "activity_link"
    verbose_name = "Activity kind: link"

    def ready(self) -> None:
        from syllabus.catalog.activity_kinds import base
        from syllabus.catalog.activity_kinds.link.kind import LinkKind

        base.register(LinkKind())
