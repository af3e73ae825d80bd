from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "aftercare.absences"
    label = "absences"
