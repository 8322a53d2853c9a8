from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "syllabus.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.compliance import notifying, subscriptions
        from syllabus.compliance.services import acknowledgements, completion_signing, exemptions

        subscriptions.connect()
        notifying.connect()  # its notification types, and the events that send them
        for action, label in (
            ("compliance.program_created", _("Compliance program created")),
            ("compliance.program_changed", _("Compliance program changed")),
            ("compliance.program_activated", _("Compliance program activated")),
            ("compliance.program_archived", _("Compliance program archived")),
            ("compliance.program_evaluated", _("Compliance program re-evaluated")),
            ("compliance.signed", _("Electronic signature")),
            *exemptions.AUDIT_ACTIONS,
            *acknowledgements.AUDIT_ACTIONS,
            *completion_signing.AUDIT_ACTIONS,
        ):
            actions.register(action, label)
