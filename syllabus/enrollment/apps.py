from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "syllabus.enrollment"
    label = "enrollment"
    verbose_name = "Enrollment"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.catalog import learner_records
        from syllabus.catalog import learning as catalog_learning
        from syllabus.enrollment import learning, records, subscriptions

        subscriptions.connect()
        catalog_learning.register_access(learning.enrolled_version)
        learner_records.register(records.has_enrollments)
        for action, label in (
            ("enrollment.created", _("Enrollment created")),
            ("enrollment.bulk_created", _("Enrollments created in bulk")),
            ("enrollment.approved", _("Enrollment request approved")),
            ("enrollment.declined", _("Enrollment request declined")),
            ("enrollment.promoted", _("Promoted from the waiting list")),
            ("enrollment.withdrawn", _("Enrollment withdrawn")),
            ("enrollment.bulk_withdrawn", _("Enrollments withdrawn in bulk")),
            ("enrollment.due_changed", _("Enrollment due date changed")),
            ("enrollment.options_changed", _("Course enrollment options changed")),
            ("enrollment.rule_created", _("Enrollment rule created")),
            ("enrollment.rule_changed", _("Enrollment rule changed")),
            ("enrollment.rule_deleted", _("Enrollment rule deleted")),
            ("enrollment.group_created", _("Course group created")),
            ("enrollment.group_changed", _("Course group changed")),
            ("enrollment.group_deleted", _("Course group deleted")),
            ("enrollment.group_members_changed", _("Course group members changed")),
            ("enrollment.message_sent", _("Message sent to participants")),
        ):
            actions.register(action, label)
