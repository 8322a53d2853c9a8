from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "syllabus.progress"
    label = "progress"
    verbose_name = "Progress"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.catalog import learning as catalog_learning
        from syllabus.core import privacy as privacy_registry
        from syllabus.progress import demo, notifying, player, privacy, subscriptions, views_learner
        from syllabus.web import home

        subscriptions.connect()
        notifying.connect()  # its notification types, and the events that send them
        home.register(views_learner.dashboard)  # a member's "/" is their learning
        privacy_registry.register("progress", export=privacy.export_person, erase=privacy.erase_person)
        demo.register_demo()  # its part of `manage.py seed_demo`
        catalog_learning.register_player_state(player.player_state)
        for action, label in (
            ("progress.course_completed", _("Course completed")),
            ("progress.activity_marked_complete", _("Activity marked complete for a learner")),
            ("progress.reset", _("Learner progress reset")),
            ("progress.completion_settings_changed", _("Course completion settings changed")),
            ("progress.external_submitted", _("External training submitted")),
            ("progress.external_approved", _("External training approved")),
            ("progress.external_declined", _("External training declined")),
        ):
            actions.register(action, label)
