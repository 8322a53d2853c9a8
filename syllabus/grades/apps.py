from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "syllabus.grades"
    label = "grades"
    verbose_name = "Gradebook"

    def ready(self) -> None:
        from syllabus.audit import actions
        from syllabus.core import privacy as privacy_registry
        from syllabus.grades import demo, imports, panels, privacy, subscriptions
        from syllabus.grades.services import grading, scales, setup

        subscriptions.connect()
        demo.register_demo()  # its part of `manage.py seed_demo`, after assessment
        panels.connect()  # the learner's dashboard ("My grades") and the course header's Gradebook tab
        privacy_registry.register("grades", export=privacy.export_person, erase=privacy.erase_person)
        for action, label in (
            *setup.AUDIT_ACTIONS,
            *grading.AUDIT_ACTIONS,
            *scales.AUDIT_ACTIONS,
            *imports.AUDIT_ACTIONS,
            *privacy.AUDIT_ACTIONS,
        ):
            actions.register(action, label)
