"""Webhooks from providers: Twilio (inbound SMS/WhatsApp, delivery status) and inbound email.

Twilio signs each request (``X-Twilio-Signature``: HMAC-SHA1 of the full URL and the sorted
POST parameters, keyed with the auth token); a request that fails the check is refused with
403 and logged. The inbound email webhook has its secret in the address instead.

Every inbound webhook only checks who sent it, reads the message, stores it (status
*arrived*, once per provider id or Message-ID) and answers; the worker triages and routes it
(``inbound.route_arrived``), so a burst of webhooks is answered at once.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import logging
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aftercare import clock
from aftercare.messaging.addresses import addresses_in, email_address
from aftercare.messaging.attachments import MAX_ATTACHMENT_BYTES, IncomingFile
from aftercare.messaging.autoreplies import classify_mail, header
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Direction, Message, MessageStatus
from aftercare.messaging.services import mark_address_unusable
from aftercare.messaging.smtp import parse_raw, store_parsed
from aftercare.messaging.transports import TransportError, fetch_twilio_media
from aftercare.practice.access import ids_in
from aftercare.practice.models import Practice

log = logging.getLogger("aftercare.hooks")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
TWILIO_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
    "sent": MessageStatus.SENT,
}
# WhatsApp cannot reach the client on this channel: 63016 outside the 24-hour window without a
# template, 63003 not a WhatsApp number, 30005 unknown to WhatsApp, 63024 invalid recipient,
# and a message Twilio "canceled" (https://www.twilio.com/docs/api/errors/63016 …).
WHATSAPP_CANNOT_REACH = {"63016", "63003", "63024", "30005", "30006"}
# Delivery errors that say the number itself cannot receive SMS (not that it is switched off
# for now, 30003): 30005 unknown destination handset, 30006 landline or unreachable carrier.
# https://www.twilio.com/docs/api/errors/30005 and /30006
NUMBER_CANNOT_RECEIVE = {"30005", "30006"}


def public_url(request: HttpRequest) -> str:
    """The URL Twilio signed: the public base URL plus the path and query we received."""
    return f"{settings.BASE_URL}{request.get_full_path()}"


def twilio_signature_valid(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    params = {key: request.POST.get(key) for key in request.POST}
    return validator.validate(
        public_url(request), params, request.headers.get("X-Twilio-Signature", "")
    )


def refuse(request: HttpRequest, hook: str) -> HttpResponse:
    log.warning(
        "refused %s webhook from %s: bad or missing X-Twilio-Signature",
        hook,
        request.META.get("REMOTE_ADDR"),
    )
    return HttpResponse("Forbidden: bad signature", status=403, content_type="text/plain")


def practice_from_query(request: HttpRequest) -> Practice | None:
    # (An "id" past the database's integers names no practice: it is not asked for.)
    found = ids_in([request.GET.get("practice", "")])
    return Practice.objects.filter(pk=found[0]).first() if found else None


@csrf_exempt
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    """Inbound SMS/WhatsApp in Twilio's form format; replies with empty TwiML.

    Acknowledgements go through the outbox (so quiet hours, retries and the thread apply),
    never as TwiML. The message is only stored here; the worker triages and routes it
    (``inbound.route_arrived``), so a burst of webhooks is answered at once.
    """
    if not twilio_signature_valid(request):
        return refuse(request, "twilio/sms")
    sender = request.POST.get("From", "")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    receive_inbound(
        channel=channel,
        from_address=sender.removeprefix("whatsapp:"),
        to_address=request.POST.get("To", "").removeprefix("whatsapp:"),
        text=request.POST.get("Body", ""),
        provider_id=request.POST.get("MessageSid", "") or request.POST.get("SmsSid", ""),
        practice=practice_from_query(request),
        attachments=twilio_media(request.POST),
        details=twilio_details(request.POST),
        route_later=True,  # stored first; the worker triages and routes it
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# Twilio sends at most 10 media items with one message.
MAX_TWILIO_MEDIA = 10


def twilio_media(form: Any) -> list[IncomingFile]:
    """``NumMedia`` items (photos, voice notes, vCards), fetched with the account's credentials.

    One that cannot be fetched is kept as a refused row naming its URL, so a person can still
    open it in Twilio's console.
    """
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_TWILIO_MEDIA)
    except ValueError:
        count = 0
    files = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}", "")
        declared = form.get(f"MediaContentType{index}", "")
        name = f"media-{index + 1}.{declared.rpartition('/')[2] or 'bin'}"
        try:
            data, served = fetch_twilio_media(url)
        except TransportError as error:
            log.warning("inbound media %s: %s", url, error)
            files.append(IncomingFile(name, declared, b"", unreachable=f"{error} ({url})"))
            continue
        files.append(IncomingFile(name, declared or served, data))
    return files


def twilio_details(form: Any) -> dict[str, Any]:
    """What Twilio says about the sender and a shared location, kept with the message.

    ``ProfileName`` (the WhatsApp display name) helps the operator assign an unknown sender;
    ``WaId`` is the WhatsApp id; ``Latitude``/``Longitude`` (``Address``, ``Label``) a location.
    """
    details: dict[str, Any] = {}
    if form.get("ProfileName"):
        details["profile_name"] = form["ProfileName"][:100]
    if form.get("WaId"):
        details["wa_id"] = form["WaId"][:32]
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return details
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        details["location"] = {
            "latitude": latitude,
            "longitude": longitude,
            "address": form.get("Address", "")[:300],
            "label": form.get("Label", "")[:100],
        }
    return details


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Delivery status callbacks: delivered, undelivered, failed."""
    if not twilio_signature_valid(request):
        return refuse(request, "twilio/status")
    sid = request.POST.get("MessageSid", "")
    status = TWILIO_STATUSES.get(request.POST.get("MessageStatus", ""))
    if not sid or status is None:
        return HttpResponse(status=204)
    messages = Message.objects.filter(provider_id=sid, direction=Direction.OUTBOUND)
    if status == MessageStatus.DELIVERED:
        messages.update(status=status, delivered_at=clock.now())
    elif status == MessageStatus.FAILED:
        code = request.POST.get("ErrorCode", "")
        reason = f"Twilio reports {request.POST.get('MessageStatus')} (error {code or 'unknown'})"
        if code in NUMBER_CANNOT_RECEIVE:
            reason += ": this number cannot receive text messages"
        if code == "63016":
            reason += ": outside WhatsApp's 24-hour window, only an approved template may go"
        with transaction.atomic():
            failed = list(messages.exclude(status=MessageStatus.DELIVERED))
            messages.filter(pk__in=[m.pk for m in failed]).update(
                status=status, status_reason=reason
            )
            canceled = request.POST.get("MessageStatus") == "canceled"
            for message in failed:
                cannot_reach = (
                    code in NUMBER_CANNOT_RECEIVE
                    if message.channel == "sms"
                    else code in WHATSAPP_CANNOT_REACH or canceled
                )
                if cannot_reach and mark_address_unusable(message):
                    log.info(
                        "client %s: %s marked unusable (%s)",
                        message.client_id,
                        message.channel,
                        reason,
                    )
    return HttpResponse(status=204)


def headers_message(fields: dict[str, object]) -> EmailMessage:
    """The JSON's headers as a message, so auto-replies are told apart as in raw MIME.

    ``headers`` may be an object (``{"Auto-Submitted": "auto-replied"}``), a list of pairs, or
    Postmark's list of ``{"Name", "Value"}``; subject and sender come from their own fields.
    """
    message = EmailMessage()
    raw = fields.get("headers") or {}
    pairs: list[tuple[object, object]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                pairs.append(
                    (item.get("Name") or item.get("name"), item.get("Value") or item.get("value"))
                )
            elif isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((item[0], item[1]))
    for name, value in [("Subject", fields.get("subject")), ("From", fields.get("from")), *pairs]:
        if isinstance(name, str) and isinstance(value, str) and name.strip() and value:
            with contextlib.suppress(ValueError, TypeError):
                message[name.strip()] = value.replace("\r", " ").replace("\n", " ")
    return message


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest, token: str) -> HttpResponse:
    """Inbound email from a hosted provider: raw MIME, or anymail-style normalised JSON.

    This route alone takes bodies up to ``INBOUND_EMAIL_MAX_BYTES`` (a 25 MB phone photo,
    base64-encoded in MIME); Django's default cap (2.5 MB) stays for every other route. A
    larger body is refused with 413 before it is read.
    """
    expected = settings.INBOUND_EMAIL_TOKEN
    if not expected or not hmac.compare_digest(token, expected):
        log.warning("refused inbound email webhook: wrong token")
        return HttpResponse(status=404)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > INBOUND_EMAIL_MAX_BYTES:
        return too_large()
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            parsed_or_error = parse_json_email(read_body(request))
            if isinstance(parsed_or_error, HttpResponse):
                return parsed_or_error
            parsed = parsed_or_error
        else:
            raw = (
                read_body(request)
                if content_type == "message/rfc822"
                else request.POST.get("email", "").encode()
            )
            if not raw:
                return JsonResponse({"error": "email: send raw MIME or JSON"}, status=400)
            parsed = parse_raw(raw)
    except RequestDataTooBig:
        return too_large()
    store_parsed(parsed)  # stored first; the worker triages and routes it
    return JsonResponse({"ok": True})


# A 25 MB photo is about 34 MB once base64-encoded in MIME, plus the text around it.
INBOUND_EMAIL_MAX_BYTES = MAX_ATTACHMENT_BYTES * 4 // 3 + 2 * 1024 * 1024


def too_large() -> JsonResponse:
    limit = INBOUND_EMAIL_MAX_BYTES // (1024 * 1024)
    return JsonResponse(
        {"error": f"body: too large; at most {limit} MB (attachments up to 25 MB each)"},
        status=413,
    )


def read_body(request: HttpRequest) -> bytes:
    """The body up to this route's own limit (``request.body`` would apply the global one)."""
    body = request.read(INBOUND_EMAIL_MAX_BYTES + 1)
    if len(body) > INBOUND_EMAIL_MAX_BYTES:
        raise RequestDataTooBig
    return body


def json_attachments(value: object) -> list[IncomingFile]:
    """``attachments``: ``[{"name", "content_type", "content" (base64)}]``, anymail's shape."""
    files = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            data = base64.b64decode(str(item.get("content") or ""), validate=False)
        except (ValueError, binascii.Error):
            data = b""
        files.append(
            IncomingFile(
                name=str(item.get("name") or item.get("filename") or "attachment"),
                content_type=str(item.get("content_type") or item.get("type") or ""),
                data=data,
            )
        )
    return files


def parse_json_email(body: bytes) -> dict[str, Any] | HttpResponse:
    try:
        data = json.loads(body)
    except ValueError:
        return JsonResponse({"error": "body: not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "body: expected a JSON object"}, status=400)
    # Providers spell the keys "from" or "From"; values may carry a display name
    # ("Mara Eval <mara@example.org>") or several addresses.
    fields = {str(key).lower(): value for key, value in data.items()}
    sender = email_address(fields.get("from", ""))
    to = fields.get("to", "")
    recipients = addresses_in(to if isinstance(to, list) else [to])
    if not sender or not recipients:
        return JsonResponse(
            {"error": "from and to are required, each with an email address"}, status=400
        )
    headers = headers_message(fields)
    return {
        "from_address": sender,
        "recipients": recipients,
        "subject": str(fields.get("subject") or ""),
        "text": str(fields.get("text") or ""),
        "html": str(fields.get("html") or ""),
        "message_id": str(fields.get("message_id") or header(headers, "Message-ID")),
        "date": str(fields.get("date") or header(headers, "Date")),
        "classified": classify_mail(headers),
        "raw": b"",
        "attachments": json_attachments(fields.get("attachments")),
    }
