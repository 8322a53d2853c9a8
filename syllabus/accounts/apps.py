from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "syllabus.accounts"
    label = "accounts"
    verbose_name = "Accounts"
