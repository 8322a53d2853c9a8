from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "syllabus.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions
        from syllabus.core import privacy as privacy_registry
        from syllabus.notifications import account_security, privacy
        from syllabus.notifications.channels import base
        from syllabus.notifications.channels.email.channel import EmailChannel
        from syllabus.notifications.channels.in_app.channel import InAppChannel

        # The order here is the order of the columns on the preferences page.
        base.register(InAppChannel())
        base.register(EmailChannel())
        privacy_registry.register("notifications", export=privacy.export_person, erase=privacy.erase_person)
        for action, label in (
            ("notification.template_saved", _("Notification wording changed")),
            ("notification.template_reset", _("Notification wording reset to the built-in one")),
            ("notification.mandatory_changed", _("Notification type made mandatory or optional")),
        ):
            actions.register(action, label)
        account_security.connect()
