from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "aftercare.promises"
    label = "promises"

    def ready(self) -> None:
        from aftercare.care.defaults import DEFAULT_RULES
        from aftercare.care.reconcile import register_fact_loader
        from aftercare.care.ticks import register_tick_step
        from aftercare.clients.timeline import register_client_section, register_timeline_provider
        from aftercare.promises import planning
        from aftercare.promises.client_page import care_records_section, promise_entries
        from aftercare.promises.selectors import promise_items
        from aftercare.promises.services import perform_on_promise, promises_mark_broken
        from aftercare.promises.today import promises_due_card
        from aftercare.queue.items import register_queue_source
        from aftercare.queue.today import register_today_card

        register_queue_source("promise", promise_items, perform_on_promise, ranked=True)
        register_today_card(promises_due_card)
        register_tick_step("promises: mark broken", promises_mark_broken)
        register_timeline_provider(promise_entries)
        register_client_section(care_records_section)
        register_fact_loader("referrals", planning.load_referrals)
        planning.register_triggers()
        # New practices start with the referral follow-up (care_setup_practice reads the list).
        names = {rule["name"] for rule in DEFAULT_RULES}
        DEFAULT_RULES.extend(r for r in planning.DEFAULT_REFERRAL_RULES if r["name"] not in names)
