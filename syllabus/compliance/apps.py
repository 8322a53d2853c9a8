from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "syllabus.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.compliance import subscriptions

        subscriptions.connect()
        for action, label in (
            ("compliance.program_created", _("Compliance program created")),
            ("compliance.program_changed", _("Compliance program changed")),
            ("compliance.program_activated", _("Compliance program activated")),
            ("compliance.program_archived", _("Compliance program archived")),
            ("compliance.program_evaluated", _("Compliance program re-evaluated")),
            ("compliance.signed", _("Electronic signature")),
        ):
            actions.register(action, label)
