"""``/api/v1/messages``: a client's thread (everything sent and received) for integrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from aftercare.api.auth import api_actor
from aftercare.api.errors import ErrorOut, invalid
from aftercare.api.pagination import PageParams, paginate
from aftercare.clients.models import Client
from aftercare.messaging.models import Direction, Message, MessageAttachment, MessageStatus
from aftercare.messaging.views import attachment_response
from aftercare.practice.access import get_scoped_or_404, scoped
from aftercare.practice.audit import record_audit, record_reads

router = Router(tags=["Messages"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int = Field(description="Bytes")
    url: str | None = Field(
        description="Where to fetch it with the same token; null when it was not kept "
        "(too large, or not a kind of file we keep)"
    )


class MessageOut(Schema):
    id: int
    client_id: int | None
    direction: str = Field(description="out (to the client) or in (from the client)")
    channel: str = Field(description="email, sms, whatsapp or portal")
    status: str = Field(
        description="queued, sending, sent, delivered, failed, received, uncertain, cancelled"
    )
    subject: str
    text_body: str
    triage_level: str = Field(description="inbound only: routine, attention, urgent or crisis")
    kind: str = Field(
        description="reply (the client's words), auto_reply (their mailbox answering: not "
        "triaged), bounce (a delivery failure), or message (everything sent)"
    )
    attachments: list[AttachmentOut] = Field(description="Photos, voice notes and files")
    created_at: dt.datetime
    sent_at: dt.datetime | None


class MessagePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[MessageOut]


class MessageFilters(Schema):
    client_id: int | None = Field(None, description="Only this client's thread")
    direction: str | None = Field(None, description="out or in")
    status: str | None = Field(None, description="One status, e.g. failed")


def message_to_api(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "client_id": message.client_id,
        "direction": message.direction,
        "channel": message.channel,
        "status": message.status,
        "subject": message.subject,
        "text_body": message.text_body,
        "triage_level": message.triage_level,
        "kind": message.kind,
        "attachments": [
            {
                "name": attachment.name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "url": reverse("api:message_attachment", args=[message.pk, attachment.pk])
                if attachment.file
                else None,
            }
            for attachment in message.attachments.all()
        ],
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }


@router.get("", response={200: MessagePage, **ERRORS}, summary="List messages")
def list_messages(
    request: HttpRequest, filters: Query[MessageFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Messages of the token's practice, newest first (staff alerts are not included)."""
    actor = api_actor(request)
    messages = (
        scoped(Message, actor)
        .exclude(template_key="staff_alert")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
    if filters.client_id is not None:
        client = get_scoped_or_404(Client.objects.all(), actor, pk=filters.client_id)
        messages = messages.filter(client=client)
    errors: dict[str, list[str]] = {}
    if filters.direction:
        if filters.direction not in Direction.values:
            errors["direction"] = ["Use out or in."]
        messages = messages.filter(direction=filters.direction)
    if filters.status:
        if filters.status not in MessageStatus.values:
            errors["status"] = [f"Unknown status; use {', '.join(MessageStatus.values)}."]
        messages = messages.filter(status=filters.status)
    if errors:
        raise invalid(errors)
    result = paginate(request, messages, page, message_to_api)
    record_reads(
        actor,
        Message,
        [row["client_id"] for row in result["results"] if row["client_id"]],
        f"Read {len(result['results'])} messages through the API (from row {page.offset + 1})",
    )
    return result


@router.get("/{int:message_id}", response={200: MessageOut, **ERRORS}, summary="One message")
def get_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    actor = api_actor(request)
    message = get_scoped_or_404(
        Message.objects.exclude(template_key="staff_alert"), actor, pk=message_id
    )
    record_audit(actor, "view", message, summary="Read a message through the API")
    return message_to_api(message)


@router.get(
    "/{int:message_id}/attachments/{int:attachment_id}",
    response={200: None, **ERRORS},
    url_name="message_attachment",
    summary="One attachment's file",
)
def get_attachment(request: HttpRequest, message_id: int, attachment_id: int) -> FileResponse:
    """The photo, voice note or file itself, with its content type."""
    actor = api_actor(request)
    found = get_scoped_or_404(
        MessageAttachment.objects.exclude(file="").select_related("message"),
        actor,
        pk=attachment_id,
        message_id=message_id,
    )
    record_audit(actor, "view", found.message, summary="Fetched an attachment through the API")
    return attachment_response(found)
