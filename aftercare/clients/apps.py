from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "aftercare.clients"
    label = "clients"

    def ready(self) -> None:
        from aftercare.clients.services import clients_pass_to_successor
        from aftercare.practice.services import on_member_removed

        on_member_removed(clients_pass_to_successor)
