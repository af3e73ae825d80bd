"""SMS/MMS and WhatsApp messages with media, a location, a profile name (Twilio's webhook)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client as HttpClient

from aftercare.messaging import transports
from aftercare.messaging.models import Direction, Message, UnroutedInbound
from aftercare.messaging.tests.test_hooks import post_signed
from aftercare.testing import Personas

SID = "AC" + "0" * 32
TOKEN = "twilio-auth-token-for-tests"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2000)
OGG = b"OggS\x00\x02" + bytes(500)


class TwilioMedia(requests.adapters.BaseAdapter):
    """Answers like Twilio's media URLs: 401 without the account's credentials, else a 307 to
    the file's own address (as Twilio redirects to its storage), which serves the bytes."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        super().__init__()
        self.files = files
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.request, response.url = request, request.url or ""
        path = (request.url or "").split("/Media/")[-1]
        if request.url and request.url.startswith("https://media.example.net/"):
            data, content_type = self.files[request.url.rsplit("/", 1)[-1]]
            response.status_code, response.headers["Content-Type"] = 200, content_type
            response.raw = BytesRaw(data)
        elif request.headers.get("Authorization", "").startswith("Basic ") and path in self.files:
            response.status_code = 307
            response.headers["Location"] = f"https://media.example.net/{path}"
            response.raw = BytesRaw(b"")
        else:
            response.status_code = 401 if path in self.files else 404
            response.raw = BytesRaw(b"")
        return response

    def close(self) -> None:
        pass


class BytesRaw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, amount: int | None = None, decode_content: bool = False) -> bytes:
        chunk, self.data = self.data[: amount or None], self.data[amount or len(self.data) :]
        return chunk

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        yield self.read()

    def release_conn(self) -> None:
        pass


@pytest.fixture
def twilio(settings: Any, monkeypatch: Any) -> TwilioMedia:
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = "+447700900999"
    media = TwilioMedia({"ME1": (JPEG, "image/jpeg"), "ME2": (OGG, "audio/ogg")})
    session = requests.Session()
    session.mount("https://", media)
    monkeypatch.setattr(transports, "media_session", session)
    return media


def media_url(media_sid: str) -> str:
    return (
        f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM{'1' * 32}/Media/{media_sid}"
    )


def whatsapp(**extra: str) -> dict[str, str]:
    """A WhatsApp message as Twilio posts it (form-encoded, documented parameter names)."""
    return {
        "MessageSid": "MM" + "1" * 32,
        "SmsMessageSid": "MM" + "1" * 32,
        "AccountSid": SID,
        "MessagingServiceSid": "",
        "From": "whatsapp:+447911123456",
        "To": "whatsapp:+447700900999",
        "Body": "",
        "NumMedia": "0",
        "NumSegments": "1",
        "ProfileName": "Ruth M",
        "WaId": "447911123456",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def test_a_whatsapp_photo_is_fetched_kept_and_flagged_with_the_profile_name(
    personas: Personas, client: HttpClient, twilio: TwilioMedia
) -> None:
    post_signed(
        client,
        "/hooks/twilio/sms",
        whatsapp(NumMedia="1", MediaUrl0=media_url("ME1"), MediaContentType0="image/jpeg"),
        token=TOKEN,
    )
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.client == personas.client
    assert message.channel == "whatsapp"
    (photo,) = message.attachments.all()
    assert photo.content_type == "image/jpeg" and not photo.refused
    assert photo.file.read() == JPEG
    assert message.attachment_summary == "sent a photo"
    assert message.triage_level == "attention"
    assert message.context["profile_name"] == "Ruth M"
    assert message.context["wa_id"] == "447911123456"
    first = twilio.requests[0]
    assert first.headers["Authorization"].startswith("Basic ")  # the account's credentials


def test_a_voice_note_says_so_in_words(
    personas: Personas, client: HttpClient, twilio: TwilioMedia
) -> None:
    post_signed(
        client,
        "/hooks/twilio/sms",
        whatsapp(NumMedia="1", MediaUrl0=media_url("ME2"), MediaContentType0="audio/ogg"),
        token=TOKEN,
    )
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.attachment_summary == "sent a voice note"
    assert message.triage_reasons == ["sent a voice note: for a person to look at"]
    client.force_login(personas.owner)
    page = client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert f"{personas.client.name_to_use} sent a voice note." in page


def test_a_shared_location_says_so_and_links_a_map(
    personas: Personas, client: HttpClient, twilio: TwilioMedia
) -> None:
    post_signed(
        client,
        "/hooks/twilio/sms",
        whatsapp(Latitude="51.5072", Longitude="-0.1276", Address="Trafalgar Square, London"),
        token=TOKEN,
    )
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.attachment_summary == "shared a location"
    assert message.triage_level == "attention"
    assert "mlat=51.5072&mlon=-0.1276" in message.location_url
    client.force_login(personas.owner)
    page = client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "See the location on a map" in page and "Trafalgar Square" in page


def test_media_that_cannot_be_fetched_is_listed_with_its_address_not_lost(
    personas: Personas, client: HttpClient, twilio: TwilioMedia
) -> None:
    post_signed(
        client,
        "/hooks/twilio/sms",
        whatsapp(
            Body="Here is the rash",
            NumMedia="1",
            MediaUrl0=media_url("ME404"),
            MediaContentType0="image/jpeg",
        ),
        token=TOKEN,
    )
    message = Message.objects.get(direction=Direction.INBOUND)
    (missing,) = message.attachments.all()
    assert "could not fetch it from Twilio" in missing.refused
    assert "ME404" in missing.refused
    assert message.text_body == "Here is the rash"
    assert message.triage_level == "attention"


def test_an_unknown_senders_whatsapp_name_helps_the_operator_assign_it(
    personas: Personas, client: HttpClient, twilio: TwilioMedia
) -> None:
    unknown = whatsapp(From="whatsapp:+447700900123", WaId="447700900123", ProfileName="Mara E",
                       Body="Hello, it's Mara, new number")  # fmt: skip
    # One number serving two practices, no ?practice=: kept for the operator, named.
    post_signed(client, "/hooks/twilio/sms", unknown, token=TOKEN)
    assert UnroutedInbound.objects.get().subject == "WhatsApp profile name: Mara E"
    # With the practice in the address: the practice's unmatched inbox shows the name.
    unknown["MessageSid"] = "MM" + "2" * 32
    post_signed(client, f"/hooks/twilio/sms?practice={personas.practice.pk}", unknown, token=TOKEN)
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.client is None
    client.force_login(personas.owner)
    page = client.get("/messages/unmatched/").content.decode()
    assert "Their WhatsApp name: <strong>Mara E</strong>" in page
