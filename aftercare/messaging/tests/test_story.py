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
        if importlib.util.find_spec("aftercare.care.queue") is not None:
            from aftercare.messaging.plugins import flagged_reply_items

            items = flagged_reply_items(personas.actor(), reply.created_at)
            assert items[0].title == "attention: side effects"
            assert items[0].client_id == personas.client.pk
