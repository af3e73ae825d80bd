from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "aftercare.clients"
    label = "clients"
