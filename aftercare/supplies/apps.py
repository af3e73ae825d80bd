from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "aftercare.supplies"
    label = "supplies"
