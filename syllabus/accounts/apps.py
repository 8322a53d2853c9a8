from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "syllabus.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from syllabus.accounts import privacy as accounts_privacy
        from syllabus.core import privacy

        privacy.register("accounts", export=accounts_privacy.export_person, erase=accounts_privacy.erase_person)

        # Account security: framework signals (sign-in, sign-out, axes' lockout) -> our services; the email task.
        from syllabus.accounts.security import signals as security_signals
        from syllabus.accounts.security import tasks as security_tasks  # noqa: F401 (registers the task)

        security_signals.connect()
