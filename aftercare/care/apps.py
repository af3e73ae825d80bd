from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "aftercare.care"
    label = "care"

    def ready(self) -> None:
        from aftercare.care.client_page import care_record_entries, care_records_section
        from aftercare.care.queue import register_queue_source
        from aftercare.care.selectors import promise_items, task_touchpoint_items
        from aftercare.care.services import replan_client_on_commit
        from aftercare.care.services_promises import perform_on_promise, promises_mark_broken
        from aftercare.care.services_queue import perform_on_touchpoint
        from aftercare.care.services_resources import resource_share_for_touchpoint
        from aftercare.care.sweep import daily_replan
        from aftercare.care.ticks import register_tick_step
        from aftercare.care.timeline_touchpoints import touchpoint_entries
        from aftercare.clients.events import on_client_changed
        from aftercare.clients.timeline import register_client_section, register_timeline_provider
        from aftercare.messaging.worker import touchpoint_preparers

        on_client_changed(replan_client_on_commit)
        register_queue_source("touchpoint", task_touchpoint_items, perform_on_touchpoint)
        register_queue_source("promise", promise_items, perform_on_promise)
        register_tick_step("promises: mark broken", promises_mark_broken)
        register_tick_step("care: daily re-plan", daily_replan)
        register_timeline_provider(care_record_entries)
        register_timeline_provider(touchpoint_entries)
        register_client_section(care_records_section)
        if resource_share_for_touchpoint not in touchpoint_preparers:
            touchpoint_preparers.append(resource_share_for_touchpoint)
