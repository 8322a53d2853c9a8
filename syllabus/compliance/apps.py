from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "syllabus.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.compliance import demo, evidence, gate, notifying, privacy, subscriptions
        from syllabus.compliance.services import acknowledgements, completion_signing, exemptions
        from syllabus.core import privacy as privacy_registry

        subscriptions.connect()
        # A thin adapter: where the person is held by the sign-in gate is read once, at sign-in.
        user_logged_in.connect(gate.on_user_logged_in, dispatch_uid="compliance-gate")
        notifying.connect()  # its notification types, and the events that send them
        demo.register_demo()  # its part of `manage.py seed_demo`, after progress
        privacy_registry.register("compliance", export=privacy.export_person, erase=privacy.erase_person)
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
            *evidence.AUDIT_ACTIONS,
            *privacy.AUDIT_ACTIONS,
        ):
            actions.register(action, label)
