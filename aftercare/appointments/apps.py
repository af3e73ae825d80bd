from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "aftercare.appointments"
    label = "appointments"

    def ready(self) -> None:
        from aftercare.appointments.selectors import appointment_timeline
        from aftercare.clients.timeline import register_timeline_provider

        register_timeline_provider(appointment_timeline)
