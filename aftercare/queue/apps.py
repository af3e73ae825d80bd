from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "aftercare.queue"
    label = "queue"

    def ready(self) -> None:
        from aftercare.queue.items import register_queue_source
        from aftercare.queue.selectors import (
            appointments_card,
            care_hour_card,
            task_touchpoint_items,
        )
        from aftercare.queue.services import perform_on_touchpoint
        from aftercare.queue.today import register_today_card

        register_queue_source(
            "touchpoint", task_touchpoint_items, perform_on_touchpoint, ranked=True
        )
        register_today_card(appointments_card)
        register_today_card(care_hour_card)
