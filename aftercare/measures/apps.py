from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "aftercare.measures"
    label = "measures"
    verbose_name = "Outcome measures"

    def ready(self) -> None:
        from aftercare.care.preparers import register_preparer
        from aftercare.clients.timeline import register_client_section, register_timeline_provider
        from aftercare.measures import client_page, messages
        from aftercare.messaging.waiting import register_asking_templates

        messages.register_templates()
        # A questionnaire asks the client something: it waits while their own message is unread.
        register_asking_templates(prefix=messages.TEMPLATE_PREFIX)
        register_preparer(messages.prepare_measure)
        register_client_section(client_page.measures_section)
        register_timeline_provider(client_page.measure_entries)
