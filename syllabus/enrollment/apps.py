from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "syllabus.enrollment"
    label = "enrollment"
    verbose_name = "Enrollment"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.catalog import course_header, learner_records
        from syllabus.catalog import learning as catalog_learning
        from syllabus.core import privacy as privacy_registry
        from syllabus.enrollment import (
            demo,
            learning,
            notifying,
            panel,
            privacy,
            records,
            selectors_course,
            subscriptions,
        )
        from syllabus.enrollment.scale import register_scale

        subscriptions.connect()
        notifying.connect()  # its notification types, and the events that send them
        privacy_registry.register("enrollment", export=privacy.export_person, erase=privacy.erase_person)
        demo.register_demo()  # its part of `manage.py seed_demo`
        register_scale()  # its options of `manage.py generate_scale`
        catalog_learning.register_access(learning.enrolled_version)
        catalog_learning.register_course_panel(panel.course_panel)
        learner_records.register(records.has_enrollments)
        course_header.register_flags(selectors_course.header_flags)
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
            ("enrollment.versions_migrated", _("Learners moved to the current course version")),
            ("enrollment.renewed", _("Completed enrollments renewed to take the course again")),
        ):
            actions.register(action, label)
