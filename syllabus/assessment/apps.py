from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "syllabus.assessment"
    label = "assessment"
    verbose_name = "Assessment"

    def ready(self) -> None:
        from syllabus.assessment import (
            assignment_kind,
            demo,
            formats,
            learner_records,
            privacy,
            question_types,
            quiz_kind,
        )
        from syllabus.assessment.services import assignment_grading, assignments, attempts, statistics
        from syllabus.audit import actions
        from syllabus.catalog import learner_records as catalog_learner_records
        from syllabus.catalog.activity_kinds import base as activity_kinds
        from syllabus.core import privacy as privacy_registry

        question_types.load()  # every question type plugin registers itself
        formats.load()  # every import/export format registers itself
        activity_kinds.register(quiz_kind.QuizKind())  # a quiz is a course activity
        activity_kinds.register(assignment_kind.AssignmentKind())  # so is an assignment
        demo.register_demo()  # its part of `manage.py seed_demo`, after certificates
        privacy_registry.register("assessment", export=privacy.export_person, erase=privacy.erase_person)
        # A course whose quizzes were attempted keeps those records: it cannot be deleted (archive it instead).
        catalog_learner_records.register(learner_records.has_learner_records)
        for action, label in (
            *attempts.AUDIT_ACTIONS,
            *assignments.AUDIT_ACTIONS,
            *assignment_grading.AUDIT_ACTIONS,
            *statistics.AUDIT_ACTIONS,
            *privacy.AUDIT_ACTIONS,
            ("assessment.questions_imported", "Questions imported into a bank"),
        ):
            actions.register(action, label)
