from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "aftercare.portal"
    label = "portal"

    def ready(self) -> None:
        from aftercare.appointments.services import register_move_notice
        from aftercare.care.defaults import DEFAULT_RULES
        from aftercare.care.preparers import register_preparer
        from aftercare.messaging.templating import register_default_template
        from aftercare.portal.appointments import (
            DEFAULT_MOVED_RULE,
            DEFAULT_RULE,
            MOVED_TEMPLATE,
            TEMPLATE,
            add_appointment_links,
            move_notice,
            perform_on_rebook,
            rebook_items,
        )
        from aftercare.queue.items import register_queue_source

        register_default_template(TEMPLATE)
        register_default_template(MOVED_TEMPLATE)
        register_move_notice(move_notice)
        register_preparer(add_appointment_links)
        register_queue_source("rebook", rebook_items, perform_on_rebook, ranked=True)
        # New practices start with the reminder and the moved-appointment rules, enabled.
        for default in (DEFAULT_RULE, DEFAULT_MOVED_RULE):
            if all(rule["name"] != default["name"] for rule in DEFAULT_RULES):
                DEFAULT_RULES.append(default)
