from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "syllabus.assessment"
    label = "assessment"
    verbose_name = "Assessment"

    def ready(self) -> None:
        from syllabus.assessment import formats, question_types
        from syllabus.assessment.services import attempts
        from syllabus.audit import actions

        question_types.load()  # every question type plugin registers itself
        formats.load()  # every import/export format registers itself
        for action, label in (
            *attempts.AUDIT_ACTIONS,
            ("assessment.questions_imported", "Questions imported into a bank"),
        ):
            actions.register(action, label)
