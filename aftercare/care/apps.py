from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "aftercare.care"
    label = "care"
