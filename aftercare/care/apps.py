from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "aftercare.care"
    label = "care"

    def ready(self) -> None:
        from aftercare.care.preparers import register_preparer, share_rule_resource
        from aftercare.care.services import (
            care_setup_practice,
            replan_client_on_commit,
            touchpoints_merge,
        )
        from aftercare.care.sweep import daily_replan
        from aftercare.care.ticks import register_tick_step
        from aftercare.care.timeline import touchpoint_entries
        from aftercare.clients.events import on_client_changed
        from aftercare.clients.merge import register_merge_step
        from aftercare.clients.timeline import register_timeline_provider
        from aftercare.practice.audit import index_pending
        from aftercare.practice.services import on_practice_created

        on_practice_created(care_setup_practice)
        on_client_changed(replan_client_on_commit)
        register_merge_step(touchpoints_merge)
        register_tick_step("care: daily re-plan", daily_replan)
        # The audit rows' clients, indexed a minute's rows at a time (``audit.index_pending``:
        # the practice app is below the tick's registry, so the care app registers it).
        register_tick_step("audit: index the clients of new rows", lambda now: index_pending())
        register_timeline_provider(touchpoint_entries)
        register_preparer(share_rule_resource)
