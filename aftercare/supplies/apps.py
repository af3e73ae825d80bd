from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "aftercare.supplies"
    label = "supplies"

    def ready(self) -> None:
        from aftercare.clients.timeline import register_client_section, register_timeline_provider
        from aftercare.supplies.client_page import supplies_section, supply_timeline

        register_client_section(supplies_section)
        register_timeline_provider(supply_timeline)
