from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "aftercare.absences"
    label = "absences"

    def ready(self) -> None:
        from aftercare.absences.messages import register_templates

        register_templates()
