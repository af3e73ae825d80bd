from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "aftercare.api"
    label = "api"
