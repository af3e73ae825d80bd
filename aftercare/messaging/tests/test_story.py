"""Story 1: nobody checks in. A check-in goes out by email; the answer is flagged at once."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from typing import Any

import time_machine
from django.test import Client as HttpClient

from aftercare.messaging.models import Direction, Message
from aftercare.messaging.testing import due_message_touchpoint
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas


def test_a_check_in_by_email_is_answered_and_flagged_within_one_worker_pass(
    personas: Personas, smtp_server: Any, client: HttpClient
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC), tick=True):
        due_message_touchpoint(personas.client)
        worker = Worker()
        worker.run_once()
        assert len(smtp_server.messages) == 1
        body = smtp_server.messages[0].get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/p/c/\S+/", body).group(0)
        path = link.split("8000", 1)[1]
        response = client.post(
            path,
            {
                "score": "4",
                "side_effects": "hot sweats and nausea since the new tablets",
                "free_text": "",
            },
            follow=True,
        )
        assert b"When will this be read?" in response.content
        reply = Message.objects.get(direction=Direction.INBOUND)
        assert reply.client == personas.client
        assert reply.triage_level == "attention"
        assert reply.triage_reasons[0].startswith("side effects")
        if importlib.util.find_spec("aftercare.queue.items") is not None:
            from aftercare.messaging.plugins import flagged_reply_items

            items = flagged_reply_items(personas.actor(), reply.created_at).items
            assert items[0].title == "attention: side effects"
            assert items[0].client_id == personas.client.pk


def test_a_first_visit_becomes_a_check_in_email_three_days_later_through_tick_and_worker(
    personas: Personas, smtp_server: Any
) -> None:
    from aftercare import clock
    from aftercare.care.advance import advance_touchpoints
    from aftercare.care.models import Touchpoint
    from aftercare.care.reconcile import reconcile_client
    from aftercare.care.services import care_setup_practice
    from aftercare.clients.models import Client

    visit = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    personas.appointment.kind = "first_visit"
    personas.appointment.status = "attended"
    personas.appointment.save()
    Client.objects.filter(pk=personas.client.pk).update(created_at=visit - dt.timedelta(days=1))
    care_setup_practice(practice=personas.practice)
    reconcile_client(personas.client.pk, now=visit + dt.timedelta(hours=2))
    check_in = Touchpoint.objects.get(
        client=personas.client, template_key="check_in", action="message"
    )
    later = check_in.due_at + dt.timedelta(minutes=5)
    with clock.at(later):
        advance_touchpoints(later)
        Worker().run_until_idle()
    check_in.refresh_from_db()
    assert check_in.status == "sent"
    assert [m["Subject"] for m in smtp_server.messages] == ["How are you doing, Ruth?"]
    assert Message.objects.get(touchpoint=check_in).status == "sent"
