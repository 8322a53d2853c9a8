from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "syllabus.audiences"
    label = "audiences"
    verbose_name = "Audiences"

    def ready(self) -> None:
        # People changes recompute audiences through domain events, never through model signals.
        from django.utils.translation import gettext_lazy as _

        from syllabus.audiences import privacy, subscriptions
        from syllabus.audit import actions
        from syllabus.core import privacy as privacy_registry

        subscriptions.connect()
        privacy_registry.register("audiences", export=privacy.export_person, erase=privacy.erase_person)
        actions.register("audience.created", _("Audience created"))
        actions.register("audience.changed", _("Audience changed"))
        actions.register("audience.deleted", _("Audience deleted"))
        actions.register("audience.recomputed", _("Audience recomputed"))
        from syllabus.audiences.demo import register_demo

        register_demo()  # its part of `manage.py seed_demo`
