from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "aftercare.supplies"
    label = "supplies"

    def ready(self) -> None:
        from aftercare.care.defaults import DEFAULT_RULES
        from aftercare.care.preparers import register_preparer
        from aftercare.clients.timeline import register_client_section, register_timeline_provider
        from aftercare.queue.today import register_today_card
        from aftercare.supplies import loaders, planning
        from aftercare.supplies.client_page import supplies_section, supply_timeline
        from aftercare.supplies.preparers import never_a_past_day
        from aftercare.supplies.today import supplies_to_prepare_card

        register_client_section(supplies_section)
        register_timeline_provider(supply_timeline)
        planning.register()
        loaders.register()
        register_preparer(never_a_past_day)
        register_today_card(supplies_to_prepare_card)
        # New practices start with these rules too (care_setup_practice reads the list).
        names = {rule["name"] for rule in DEFAULT_RULES}
        DEFAULT_RULES.extend(r for r in planning.DEFAULT_SUPPLY_RULES if r["name"] not in names)
