from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "syllabus.grades"
    label = "grades"
    verbose_name = "Gradebook"

    def ready(self) -> None:
        from syllabus.grades import subscriptions

        subscriptions.connect()
