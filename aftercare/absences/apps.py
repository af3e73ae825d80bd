from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "aftercare.absences"
    label = "absences"

    def ready(self) -> None:
        from aftercare.absences import away, loaders, planning
        from aftercare.absences.messages import register_templates
        from aftercare.absences.selectors import absence_ranges_by_practitioner
        from aftercare.absences.today import next_absence_card
        from aftercare.care.defaults import DEFAULT_RULES
        from aftercare.queue.today import register_today_card
        from aftercare.supplies.reorder import register_absence_ranges

        register_templates()
        away.register()
        planning.register()
        loaders.register()
        register_absence_ranges(absence_ranges_by_practitioner)
        register_today_card(next_absence_card)
        # New practices start with these rules too (care_setup_practice reads the list).
        names = {rule["name"] for rule in DEFAULT_RULES}
        DEFAULT_RULES.extend(r for r in planning.DEFAULT_ABSENCE_RULES if r["name"] not in names)
