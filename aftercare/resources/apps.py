from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "aftercare.resources"
    label = "resources"

    def ready(self) -> None:
        from aftercare.clients.timeline import register_timeline_provider
        from aftercare.resources.client_page import share_entries

        register_timeline_provider(share_entries)
