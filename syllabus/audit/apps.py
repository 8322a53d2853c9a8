from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "syllabus.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from syllabus.audit import privacy as audit_privacy
        from syllabus.audit import subscribers
        from syllabus.core import privacy

        subscribers.subscribe_all()
        privacy.register("audit", export=audit_privacy.export_person, erase=audit_privacy.erase_person)
