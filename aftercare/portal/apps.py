from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "aftercare.portal"
    label = "portal"

    def ready(self) -> None:
        from aftercare.care.defaults import DEFAULT_RULES
        from aftercare.care.preparers import register_preparer
        from aftercare.messaging.templating import register_default_template
        from aftercare.portal.appointments import (
            DEFAULT_RULE,
            TEMPLATE,
            add_appointment_links,
            perform_on_rebook,
            rebook_items,
        )
        from aftercare.queue.items import register_queue_source

        register_default_template(TEMPLATE)
        register_preparer(add_appointment_links)
        register_queue_source("rebook", rebook_items, perform_on_rebook)
        # New practices start with the reminder rule, enabled.
        if all(rule["name"] != DEFAULT_RULE["name"] for rule in DEFAULT_RULES):
            DEFAULT_RULES.append(DEFAULT_RULE)
