from django.apps import AppConfig, apps


class AbsencesConfig(AppConfig):
    name = "aftercare.absences"
    label = "absences"

    def ready(self) -> None:
        from aftercare.absences.messages import register_templates

        register_templates()
        from aftercare.absences import away

        away.register()
        if apps.is_installed("aftercare.care"):
            from aftercare.absences import loaders, planning
            from aftercare.care.defaults import DEFAULT_RULES

            planning.register()
            loaders.register()
            names = {rule["name"] for rule in DEFAULT_RULES}
            DEFAULT_RULES.extend(
                r for r in planning.DEFAULT_ABSENCE_RULES if r["name"] not in names
            )
