from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "aftercare.messaging"
    label = "messaging"

    def ready(self) -> None:
        from aftercare.messaging import checks  # noqa: F401 - registers the send checks
        from aftercare.messaging.plugins import register_all

        register_all()
