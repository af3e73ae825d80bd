from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "aftercare.messaging"
    label = "messaging"
