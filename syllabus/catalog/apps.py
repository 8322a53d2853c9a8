from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "syllabus.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.access.policy import register_object_rule
        from syllabus.audit import actions
        from syllabus.catalog import course_access, privacy
        from syllabus.catalog.models import Course
        from syllabus.core import privacy as privacy_registry

        register_object_rule(Course, course_access.course_rule)
        privacy_registry.register("catalog", export=privacy.export_person, erase=privacy.erase_person)
        for action, label in (
            ("course.created", _("Course created")),
            ("course.submitted", _("Course submitted for review")),
            ("course.review_withdrawn", _("Course review withdrawn")),
            ("course.approved", _("Course approved")),
            ("course.rejected", _("Course sent back")),
            ("course.published", _("Course published")),
            ("course.restored", _("Course version restored as draft")),
            ("course.archived", _("Course archived")),
            ("course.unarchived", _("Course unarchived")),
            ("course.deleted", _("Course deleted")),
            ("course.copied", _("Course copied")),
            ("course.staff_changed", _("Course team changed")),
            ("catalog.settings_changed", _("Catalog settings changed")),
        ):
            actions.register(action, label)
        from syllabus.catalog.demo import register_demo

        register_demo()  # its part of `manage.py seed_demo`
