from django.apps import AppConfig


class VideoKindConfig(AppConfig):
    name = "syllabus.catalog.activity_kinds.video"
    label = "activity_video"
    verbose_name = "Activity kind: video"

    def ready(self) -> None:
        from syllabus.catalog import learner_records
        from syllabus.catalog.activity_kinds import base
        from syllabus.catalog.activity_kinds.video import privacy
        from syllabus.catalog.activity_kinds.video.kind import VideoKind
        from syllabus.core import privacy as privacy_registry

        base.register(VideoKind())
        learner_records.register(privacy.has_learner_records)
        privacy_registry.register(self.label, export=privacy.export_person, erase=privacy.erase_person)
