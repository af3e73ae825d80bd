from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "aftercare.imports"
    label = "imports"

    def ready(self) -> None:
        from aftercare.care.ticks import register_tick_step
        from aftercare.imports.jobs import run_waiting_imports
        from aftercare.imports.subscriptions import poll_due_subscriptions
        from aftercare.practice.navigation import NAV_ITEMS

        register_tick_step("imports: run uploaded files", run_waiting_imports)
        register_tick_step("imports: poll subscribed calendars", poll_due_subscriptions)
        item = ("Import and export", "imports-home")
        if item not in NAV_ITEMS:
            NAV_ITEMS.insert(len(NAV_ITEMS) - 1, item)  # before Settings
