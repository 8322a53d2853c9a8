from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "syllabus.certificates"
    label = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from syllabus.audit import actions
        from syllabus.certificates import demo, notifying, panels, privacy, subscriptions
        from syllabus.certificates.services import awards, issuing, keys, templates
        from syllabus.core import privacy as privacy_registry

        subscriptions.connect()  # course completions and program cycles issue certificates
        notifying.connect()  # its notification types, and the events that send them
        panels.connect()  # the learner's dashboard and transcript show their certificates
        demo.register_demo()  # its part of `manage.py seed_demo`, after compliance
        privacy_registry.register("certificates", export=privacy.export_person, erase=privacy.erase_person)
        for action, label in (
            *issuing.AUDIT_ACTIONS,
            *templates.AUDIT_ACTIONS,
            *awards.AUDIT_ACTIONS,
            *keys.AUDIT_ACTIONS,
            *privacy.AUDIT_ACTIONS,
        ):
            actions.register(action, label)
