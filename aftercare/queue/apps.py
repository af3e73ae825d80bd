from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "aftercare.queue"
    label = "queue"

    def ready(self) -> None:
        from aftercare.queue.items import register_queue_source
        from aftercare.queue.selectors import task_touchpoint_items
        from aftercare.queue.services import perform_on_touchpoint

        register_queue_source("touchpoint", task_touchpoint_items, perform_on_touchpoint)
