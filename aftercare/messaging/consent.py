"""Consent requests: an imported client who never said yes is asked by their first message.

An import without a consent column cannot know what the client agreed to, so it records no
consent and marks the client *to ask* (``Client.consent_request``). Then:

1. The first time care would reach them — a care message planned for them falls due, held
   back for want of consent — ``send_due_consent_requests`` (a tick step) sends one consent
   request instead: through the outbox like every message, by email, else by SMS (the text is
   only the practice's name and the link), and the worker holds it through quiet hours like
   any automated message. The client becomes *asked*, by a conditional update, so two ticks
   never ask twice.
2. The message carries a signed portal link (``links``, kind ``consent``); on that page the
   client says yes or no per purpose (care, information, celebrations). Their answer is
   recorded in the consent history (``clients.services.client_answer_consent_request``) and
   the client becomes *answered* and is re-planned.
3. Until then the care messages wait, planned (``care/advance.py``): none is sent without
   consent, and none is skipped while the question is open. After a "no" they are skipped.
4. The practitioner sees "asked on …, no answer yet" on the client page and can send the
   request again by hand (``consent_request_send``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.urls import reverse

from aftercare import clock
from aftercare.care.models import Action, Touchpoint, TouchpointStatus
from aftercare.clients.models import Client, ConsentRequest, Purpose
from aftercare.clients.timeline import ClientSection
from aftercare.links import portal_url
from aftercare.messaging.models import Message
from aftercare.messaging.services import message_queue, usable_address
from aftercare.messaging.templating import FOOTER, DefaultTemplate, register_default_template
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit

log = logging.getLogger("aftercare.consent")

TEMPLATE_KEY = "consent_request"
PURPOSE = "consent"

register_default_template(
    DefaultTemplate(
        key=TEMPLATE_KEY,
        label="Consent request (the first message to an imported client)",
        # Nothing about the client's health: the text arrives as it is, even by SMS.
        private=False,
        subject="May {{ practice }} keep in touch, {{ name }}?",
        text=(
            "Dear {{ name }},\n\n"
            "{{ practice }} would like to keep in touch with you between visits: "
            "{% if practitioner %}{{ practitioner }}{% else %}we{% endif %} would ask how you "
            "are after a visit, remind you of what matters for your care and — only if you "
            "like — send useful information and a card on your birthday.\n\n"
            "We only send what you agree to. Please tell us, it takes a minute:\n"
            "{{ details.consent_url }}\n\n"
            "Until you answer, we will not send you anything else." + FOOTER
        ),
        sms=(
            "Hello {{ name }}, {{ practice }} asks: may we keep in touch between visits? "
            "Please say yes or no here: {{ details.consent_url }}"
        ),
    )
)


def consent_channel(client: Client) -> str:
    """Email when we may use it, else SMS; never WhatsApp (a first message needs a template)."""
    for channel in ("email", "sms"):
        if usable_address(client, channel):
            return channel
    return ""


@transaction.atomic
def consent_request_send(*, client: Client, actor: Actor | None = None) -> Message:
    """Send the consent request now (queued: the worker keeps quiet hours) and mark *asked*."""
    now = clock.now()
    message = message_queue(
        client=client,
        template_key=TEMPLATE_KEY,
        purpose=PURPOSE,
        channel=consent_channel(client),
        details={"consent_url": portal_url("consent", client.pk)},
        sent_by=actor.user if actor else None,
    )
    Client.objects.filter(pk=client.pk).update(
        consent_request=ConsentRequest.ASKED, consent_asked_at=now
    )
    client.consent_request, client.consent_asked_at = ConsentRequest.ASKED, now
    if actor is not None:
        record_audit(actor, "change", client, summary="Sent the consent request again")
    return message


def clients_to_ask(now: dt.datetime) -> list[int]:
    """Clients *to ask* whom care would reach now: a care message of theirs has fallen due."""
    return list(
        Touchpoint.objects.filter(
            status=TouchpointStatus.PLANNED,
            action=Action.MESSAGE,
            blocked=True,
            due_at__lte=now,
            client__consent_request=ConsentRequest.TO_ASK,
            client__archived=False,
            client__opted_out_at__isnull=True,
        )
        .values_list("client_id", flat=True)
        .distinct()
    )


def send_due_consent_requests(now: dt.datetime) -> int:
    """Tick step: one consent request per client whom care would first reach (step 1)."""
    sent = 0
    for client_id in clients_to_ask(now):
        try:
            with transaction.atomic():
                # Claimed by a conditional update: another tick at the same moment finds nothing.
                claimed = Client.objects.filter(
                    pk=client_id, consent_request=ConsentRequest.TO_ASK
                ).update(consent_request=ConsentRequest.ASKED, consent_asked_at=now)
                if not claimed:
                    continue
                client = Client.objects.select_related("practice").get(pk=client_id)
                consent_request_send(client=client)
        except Exception:
            # One client's bad row must not keep the others from being asked: this one stays
            # *to ask* (the claim rolled back), is logged, and the next tick tries again.
            log.exception("consent request for client %s failed", client_id)
            continue
        sent += 1
    return sent


def consent_request_section(client: Client, actor: Any) -> ClientSection | None:
    """The client page: where the consent request stands, and sending it again (no query)."""
    if client.consent_request == ConsentRequest.NOT_NEEDED:
        return None
    return ClientSection(
        title="Consent request",
        template_name="messaging/consent_request_section.html",
        context={
            "state": client.consent_request,
            "asked_at": client.consent_asked_at,
            "answers": [
                {"label": label, "granted": client.has_consent(purpose)}
                for purpose, label in Purpose.choices
            ],
            "can_send": client.awaits_consent_answer and bool(consent_channel(client)),
            "send_url": reverse("messaging-consent-request", args=[client.pk]),
        },
        order=15,
    )
