from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "aftercare.practice"
    label = "practice"
    verbose_name = "Practices and people"
