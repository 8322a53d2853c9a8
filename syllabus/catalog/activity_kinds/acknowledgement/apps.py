from django.apps import AppConfig


class AcknowledgementKindConfig(AppConfig):
    name = "syllabus.catalog.activity_kinds.acknowledgement"
    label = "activity_acknowledgement"
    verbose_name = "Activity kind: acknowledgement"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.catalog import learner_records
        from syllabus.catalog.activity_kinds import base
        from syllabus.catalog.activity_kinds.acknowledgement import privacy
        from syllabus.catalog.activity_kinds.acknowledgement.kind import AcknowledgementKind
        from syllabus.core import privacy as privacy_registry

        base.register(AcknowledgementKind())
        learner_records.register(privacy.has_learner_records)
        privacy_registry.register(self.label, export=privacy.export_person, erase=privacy.erase_person)
        actions.register("activity.acknowledged", _("Policy acknowledged"))
