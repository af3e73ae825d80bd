from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "aftercare.messaging"
    label = "messaging"

    def ready(self) -> None:
        from aftercare.care.catalogue import register_message_catalogue
        from aftercare.messaging import checks  # noqa: F401 - registers the send checks
        from aftercare.messaging.plugins import register_all
        from aftercare.messaging.selectors import rule_message_choices
        from aftercare.messaging.today import replies_waiting_card
        from aftercare.queue.today import register_today_card

        register_all()
        register_message_catalogue(rule_message_choices)
        register_today_card(replies_waiting_card)
