"""Give a fresh database one client who is everywhere, erase them (test_erasure.py).

Run as ``python -m aftercare.clients.tests.gdpr_setup fill`` then ``… erase CLIENT_ID``
with the environment of a file database.
"""

from __future__ import annotations

import datetime as dt
import sys

NAME = ("Zebedee", "Quillfeather")
EMAIL = "zebedee.quillfeather@example.org"
PHONE = "+447700900471"


def fill() -> int:
    from aftercare.clients.services import client_update
    from aftercare.messaging.inbound import receive_inbound
    from aftercare.messaging.services import message_queue
    from aftercare.practice.access import Actor
    from aftercare.practice.audit import record_reads
    from aftercare.practice.models import Membership, Role
    from aftercare.practice.services import practice_create
    from aftercare.queue.tests.factories import make_promise, make_task
    from aftercare.supplies.tests.factories import add_supply
    from aftercare.testing import make_appointment, make_client, make_user

    practice, owner, _ = practice_create(name="Erasure Practice", owner_email="o@example.org")
    colleague = make_user("c@example.org", "Colin", practice, Role.PRACTITIONER)

    actor = Actor(
        user=owner,
        practice=practice,
        membership=Membership.objects.get(user=owner, practice=practice),
        ip_address="192.0.2.10",
        via="web",
    )
    client = make_client(
        practice,
        given_name=NAME[0],
        family_name=NAME[1],
        email=EMAIL,
        phone=PHONE,
        private_notes=f"{NAME[0]} finds mornings hard.",
        primary_practitioner=colleague,
    )
    client_update(
        actor=actor, client=client, data={"preferred_name": "Zeb", "email": EMAIL}, tag_names=[]
    )
    make_appointment(client, colleague)
    add_supply(actor, client)
    make_promise(client, colleague, what=f"Call {NAME[0]} back")
    make_task(client, title=f"Ring {NAME[0]} {NAME[1]}")
    message_queue(client=client, template_key="check_in", channel="email")
    message_queue(client=client, template_key="recall", channel="sms")
    receive_inbound(
        channel="sms",
        from_address=PHONE,
        text=f"This is {NAME[0]}, feeling better",
        practice=practice,
    )
    record_reads(actor, type(client), [client.pk], f"Searched clients for {NAME[1]}")
    make_client(practice, given_name="Other", family_name="Person", email="o@o.example")
    return client.pk


def erase(client_id: int) -> None:
    from aftercare.clients.erasure import client_erase
    from aftercare.clients.models import Client
    from aftercare.practice.access import Actor
    from aftercare.practice.models import Membership, Role

    client = Client.objects.select_related("practice").get(pk=client_id)
    owner = Membership.objects.get(practice=client.practice, role=Role.OWNER)
    client_erase(
        actor=Actor(user=owner.user, practice=client.practice, membership=owner, via="cli"),
        client=client,
    )


def main() -> None:
    import django

    django.setup()
    from aftercare import clock

    with clock.at(dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)):
        if sys.argv[1] == "fill":
            sys.stdout.write(f"{fill()}\n")
        else:
            erase(int(sys.argv[2]))


if __name__ == "__main__":
    main()
