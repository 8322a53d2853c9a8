from django.apps import AppConfig


class FileKindConfig(AppConfig):
    name = "syllabus.catalog.activity_kinds.file"
    label = "activity_file"
    verbose_name = "Activity kind: file"

    def ready(self) -> None:
        from syllabus.catalog.activity_kinds import base
        from syllabus.catalog.activity_kinds.file.kind import FileKind

        base.register(FileKind())
