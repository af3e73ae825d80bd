from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "aftercare.insights"
    label = "insights"

    def ready(self) -> None:
        from aftercare.insights.plugins import register_all

        register_all()
