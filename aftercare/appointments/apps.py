from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "aftercare.appointments"
    label = "appointments"
