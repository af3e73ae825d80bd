"""Inbound email as mail programs and providers really write it."""

from __future__ import annotations

import email
import email.policy
import smtplib
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from aftercare import clock
from aftercare.messaging import hooks
from aftercare.messaging.addresses import addresses_in, email_address
from aftercare.messaging.inbound import route_arrived
from aftercare.messaging.models import (
    Direction,
    Message,
    MessageAttachment,
    MessageKind,
    MessageStatus,
    UnroutedInbound,
)
from aftercare.messaging.plugins import unreachable_items
from aftercare.messaging.replies import new_text as new_text_of
from aftercare.messaging.services import message_queue
from aftercare.messaging.smtp import inbound_controller
from aftercare.messaging.tests.conftest import free_port
from aftercare.messaging.transports import EmailTransport
from aftercare.testing import Personas, api_client_for, make_client

HOOK = "/hooks/email/inbound-token-0123456789"


@pytest.fixture
def inbound_settings(settings: Any) -> Any:
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    settings.REPLY_DOMAIN = "reply.example.org"
    return settings


def test_addresses_are_read_with_display_names_quotes_and_lists() -> None:
    assert email_address("Mara Eval <mara@example.org>") == "mara@example.org"
    assert email_address('"Eval, Mara" <mara@example.org>') == "mara@example.org"
    assert email_address("=?utf-8?q?Mar=C3=A9?= <mare@example.org>") == "mare@example.org"
    assert email_address("not an address") == ""
    assert addresses_in(["Riverside <hello@reply.example.org>, b@example.net", ""]) == [
        "hello@reply.example.org",
        "b@example.net",
    ]


@pytest.mark.usefixtures("inbound_settings")
def test_a_json_email_from_a_display_name_reaches_the_client(
    personas: Personas, client: HttpClient
) -> None:
    mara = make_client(
        personas.practice, given_name="Mara", family_name="Eval", email="mara@example.org", phone=""
    )
    payload = {
        "From": "Mara Eval <mara@example.org>",
        "To": "Riverside Practice <hello@reply.example.org>",
        "Subject": "Question about my tablets",
        "Text": "Can I take the new tablets with food?",
    }
    response = client.post(HOOK, payload, content_type="application/json")
    assert response.status_code == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.client == mara
    assert inbound.from_address == "mara@example.org"
    assert inbound.text_body == "Can I take the new tablets with food?"
    assert not UnroutedInbound.objects.exists()


@pytest.mark.usefixtures("inbound_settings")
def test_a_json_email_without_a_sender_address_is_refused_with_a_reason(
    personas: Personas, client: HttpClient
) -> None:
    response = client.post(
        HOOK,
        {"from": "Mara Eval", "to": "hello@reply.example.org"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "from and to are required" in response.json()["error"]
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


# --- replies as mail programs write them ------------------------------------------------------

MAIL = Path(__file__).resolve().parent / "mail"


def fixture_mail(name: str, token: str, **replace: str) -> bytes:
    """A raw MIME fixture addressed to the reply (or bounce) address of a message we sent."""
    raw = (MAIL / name).read_bytes().replace(b"REPLYTOKEN", token.encode())
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def post_raw(client: HttpClient, raw: bytes, *, then_route: bool = True) -> Any:
    """POST raw MIME to the webhook, which stores it; ``then_route``: then the worker's first
    step, which triages and routes what was stored (``inbound.route_arrived``)."""
    response = client.post(HOOK, raw, content_type="message/rfc822")
    if then_route:
        route_arrived()
    return response


@pytest.mark.usefixtures("inbound_settings")
@pytest.mark.parametrize(
    ("fixture", "language", "new_text", "level"),
    [
        ("gmail_reply.eml", "en",
         "Hot sweats most nights since the new tablets, and some nausea in the morning.",
         "attention"),
        ("outlook_desktop.eml", "en",
         "Much better thanks – I’m sleeping well again and the swelling has gone down.",
         "routine"),
        ("outlook_web.eml", "en", "Fine, nothing to report.", "routine"),
        ("iphone_bottom_post.eml", "en", "I have an itchy rash on both arms since Friday.",
         "attention"),
        ("thunderbird_de.eml", "de", "Mir ist seit zwei Tagen übel und schwindelig.", "attention"),
        ("yahoo_original_message.eml", "en", "Feeling better, thank you. See you on Tuesday.",
         "routine"),
        ("gmail_fr.eml", "fr", "J'ai des vertiges le matin depuis le nouveau traitement.",
         "attention"),
        ("gmail_es.eml", "es", "Tengo náuseas desde el lunes.", "attention"),
        ("unknown_8bit.eml", "en", "The cr\ufffdme helps, no more itching. Thank you!", "routine"),
    ],
)  # fmt: skip
def test_a_reply_keeps_only_the_new_text_and_triage_never_reads_our_quoted_question(
    personas: Personas, client: HttpClient, fixture: str, language: str, new_text: str, level: str
) -> None:
    # Every quoted check-in asks about chest pain: read as the client's words, it would be a
    # crisis. Only the new text may be triaged.
    personas.client.language = language
    personas.client.save(update_fields=["language"])
    sent = message_queue(client=personas.client, template_key="check_in")
    raw = fixture_mail(fixture, sent.reply_token)
    assert post_raw(client, raw).status_code == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.in_reply_to == sent
    assert reply.kind == MessageKind.REPLY
    assert reply.text_body == new_text
    assert reply.triage_level == level
    assert bytes(reply.raw_mime) == raw  # the full original, for the record
    assert Message.objects.filter(template_key="reply_acknowledgement").count() == 1


@pytest.mark.usefixtures("inbound_settings")
def test_an_html_only_mail_becomes_readable_text_with_its_links(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    post_raw(client, fixture_mail("outlook_html_only.eml", sent.reply_token))
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.text_body.startswith("The knee is swollen again & it hurts on the stairs.")
    assert "[knee exercises](https://example.org/knee)" in reply.text_body
    assert "MsoNormal" not in reply.text_body  # no CSS
    assert "chest pain" not in reply.text_body  # Outlook's quoted message is cut
    assert reply.triage_level == "attention"
    assert "<html" in reply.html_body


def test_separating_the_quote_never_leaves_an_empty_reply() -> None:
    # A client who answered inside the quote: the whole text is kept, never nothing.
    assert new_text_of("> Any side effects?\n> Yes, a rash on my arms") == (
        "> Any side effects?\n> Yes, a rash on my arms"
    )
    assert new_text_of("Thanks, but the rash is back.\n\nBest,\nRuth") == (
        "Thanks, but the rash is back.\n\nBest,\nRuth"
    )  # "Thanks," and "Best," are not cut as signatures


# --- auto-replies and bounces -----------------------------------------------------------------


@pytest.mark.usefixtures("inbound_settings")
@pytest.mark.parametrize(
    "fixture", ["outlook_out_of_office.eml", "gmail_vacation.eml", "subject_only_abwesenheit.eml"]
)
def test_an_auto_reply_is_kept_but_not_triaged_answered_or_counted_as_the_client(
    personas: Personas, client: HttpClient, fixture: str
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    assert post_raw(client, fixture_mail(fixture, sent.reply_token)).status_code == 200
    auto = Message.objects.get(direction=Direction.INBOUND)
    assert auto.kind == MessageKind.AUTO_REPLY
    assert auto.client == personas.client
    assert auto.triage_level == ""  # "can't breathe a word", "sick of emails": not triaged
    assert auto.acknowledged_at is not None  # nothing for a person to read; no check-in waits
    # No receipt back to a robot: two auto-responders would answer each other for ever.
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exclude(pk=sent.pk).exists()


@pytest.mark.usefixtures("inbound_settings")
def test_a_json_auto_reply_is_told_apart_by_its_headers(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    payload = {
        "from": "ruth@example.org",
        "to": f"reply+{sent.reply_token}@reply.example.org",
        "subject": "Re: How are you doing?",
        "text": "I am away until Monday.",
        "headers": [{"Name": "Auto-Submitted", "Value": "auto-replied"}],
    }
    client.post(HOOK, payload, content_type="application/json")
    assert Message.objects.get(direction=Direction.INBOUND).kind == MessageKind.AUTO_REPLY


@pytest.mark.usefixtures("inbound_settings")
def test_a_bounce_to_the_verp_address_fails_the_message_and_asks_a_person_to_call(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    raw = fixture_mail("postfix_dsn_failed.eml", sent.reply_token, MESSAGEID="unrelated@x")
    assert post_raw(client, raw).status_code == 200
    bounce = Message.objects.get(direction=Direction.INBOUND)
    assert bounce.kind == MessageKind.BOUNCE
    assert bounce.client == personas.client
    assert bounce.triage_level == ""
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED
    assert "5.1.1" in sent.status_reason
    personas.client.refresh_from_db()
    assert personas.client.email_unusable is True
    titles = [item.title for item in unreachable_items(personas.actor(), clock.now()).items]
    assert titles == [f"Could not reach {personas.client.full_name} by email — call?"]
    assert not Message.objects.filter(template_key="reply_acknowledgement").exists()


@pytest.mark.usefixtures("inbound_settings")
def test_a_bounce_without_verp_finds_the_message_by_its_message_id(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    raw = fixture_mail(
        "postfix_dsn_failed.eml",
        "0" * 32,
        MESSAGEID=sent.message_id_header.strip("<>"),
    )
    post_raw(client, raw)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED


@pytest.mark.usefixtures("inbound_settings")
def test_a_delayed_delivery_report_keeps_the_address(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    post_raw(client, fixture_mail("postfix_dsn_delayed.eml", sent.reply_token, MESSAGEID="x@y"))
    assert Message.objects.get(direction=Direction.INBOUND).kind == MessageKind.BOUNCE
    sent.refresh_from_db()
    personas.client.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert personas.client.email_unusable is False


def test_outgoing_mail_carries_a_per_message_bounce_address(
    personas: Personas, settings: Any
) -> None:
    settings.REPLY_DOMAIN = "reply.example.org"
    message = message_queue(client=personas.client, template_key="check_in")
    built = EmailTransport().build(message)
    assert built.from_email == f"bounce+{message.reply_token}@reply.example.org"
    assert built.message()["From"] == message.from_address or settings.DEFAULT_FROM_EMAIL
    assert built.message()["Reply-To"] == f"reply+{message.reply_token}@reply.example.org"


# --- aftercare smtpd ----------------------------------------------------------------------------


@pytest.fixture
def smtpd(settings: Any, tmp_path: Path) -> Any:
    """``aftercare smtpd``'s controller on loopback, with a self-signed certificate."""
    settings.REPLY_DOMAIN = "reply.example.org"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, a test certificate
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    controller = inbound_controller(
        host="127.0.0.1", port=port, certificate=str(cert), key=str(key)
    )
    controller.start()
    yield port
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_smtpd_offers_starttls_and_accepts_lines_longer_than_1000_octets(
    personas: Personas, smtpd: int
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    address = f"reply+{sent.reply_token}@reply.example.org"
    long_line = "The rash is spreading. " + "x" * 3000
    mail = email.message.EmailMessage()
    mail["From"] = "Ruth Miller <ruth@example.org>"
    mail["To"] = address
    mail["Subject"] = "Re: How are you doing?"
    mail["Message-ID"] = "<long-line@example.org>"
    mail.set_content(long_line, cte="8bit")
    raw = mail.as_bytes(policy=email.policy.SMTP.clone(max_line_length=None))
    assert max(len(line) for line in raw.split(b"\r\n")) > 1000
    with smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as server:
        server.ehlo()
        assert server.has_extn("starttls")
        server.starttls(context=ssl._create_unverified_context())  # noqa: S323 - self-signed
        server.ehlo()
        server.sendmail("ruth@example.org", [address], raw)
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.text_body == long_line
    assert reply.status == MessageStatus.ARRIVED  # stored; the worker triages it
    route_arrived()
    reply.refresh_from_db()
    assert reply.triage_level == "attention"


# --- attachments -------------------------------------------------------------------------------


@pytest.mark.usefixtures("inbound_settings")
def test_a_photo_only_reply_reads_sent_a_photo_and_is_flagged_for_a_person(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    post_raw(client, fixture_mail("iphone_photo_only.eml", sent.reply_token))
    reply = Message.objects.get(direction=Direction.INBOUND)
    (photo,) = reply.attachments.all()
    assert (photo.name, photo.content_type, photo.refused) == ("IMG_0412.jpeg", "image/jpeg", "")
    assert photo.file.read().startswith(b"\xff\xd8\xff")
    assert reply.text_body == ""  # only our quoted question was there: not the client's words
    assert reply.attachment_summary == "sent a photo"
    assert reply.triage_level == "attention"  # not crisis for our quoted "chest pain"
    assert reply.triage_reasons == ["sent a photo: for a person to look at"]


@pytest.mark.usefixtures("inbound_settings")
def test_a_pdf_is_kept_and_a_program_named_like_a_photo_is_listed_but_not_kept(
    personas: Personas, client: HttpClient
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    post_raw(client, fixture_mail("outlook_pdf_and_fake_photo.eml", sent.reply_token))
    reply = Message.objects.get(direction=Direction.INBOUND)
    pdf, fake = reply.attachments.order_by("pk")
    assert (pdf.name, pdf.content_type, pdf.refused) == (
        "Blood results Nov 2026.pdf",
        "application/pdf",
        "",
    )
    assert pdf.file.read().startswith(b"%PDF-")
    assert fake.name == "swelling.jpg"
    assert fake.refused == "its content is not a image/jpeg file"
    assert not fake.file
    assert reply.text_body.startswith("Here are my blood test results")


@pytest.mark.usefixtures("inbound_settings")
def test_the_email_hook_takes_a_phone_photo_over_djangos_default_limit_and_refuses_more(
    personas: Personas, client: HttpClient, monkeypatch: Any
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    mail = email.message.EmailMessage()
    mail["From"] = "Ruth Miller <ruth@example.org>"
    mail["To"] = f"reply+{sent.reply_token}@reply.example.org"
    mail["Subject"] = "Re: How are you doing?"
    mail.set_content("The rash today.")
    photo = b"\xff\xd8\xff\xe0" + bytes(4 * 1024 * 1024)  # a 4 MB phone photo
    mail.add_attachment(photo, maintype="image", subtype="jpeg", filename="rash.jpg")
    raw = mail.as_bytes()
    assert len(raw) > 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    assert post_raw(client, raw).status_code == 200
    (kept,) = Message.objects.get(direction=Direction.INBOUND).attachments.all()
    assert kept.size == len(photo) and not kept.refused
    monkeypatch.setattr(hooks, "INBOUND_EMAIL_MAX_BYTES", len(raw) - 1)
    refused = post_raw(client, raw)
    assert refused.status_code == 413
    assert "too large" in refused.json()["error"]
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


@pytest.mark.usefixtures("inbound_settings")
def test_the_thread_and_the_api_show_what_came_with_a_reply_and_what_kind_it_is(
    personas: Personas, client: HttpClient, django_assert_max_num_queries: Any
) -> None:
    sent = message_queue(client=personas.client, template_key="check_in")
    post_raw(client, fixture_mail("iphone_photo_only.eml", sent.reply_token))
    post_raw(client, fixture_mail("outlook_pdf_and_fake_photo.eml", sent.reply_token))
    post_raw(client, fixture_mail("gmail_vacation.eml", sent.reply_token))
    photo = MessageAttachment.objects.get(name="IMG_0412.jpeg")

    client.force_login(personas.owner)
    page = client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert f"{personas.client.name_to_use} sent a photo." in page
    assert f"{personas.client.name_to_use} sent a PDF and a photo." in page
    assert "not kept, its content is not a image/jpeg file" in page
    assert "automatic reply from their mailbox" in page
    opened = client.get(f"/messages/{photo.message_id}/attachments/{photo.pk}/")
    assert opened.status_code == 200
    assert opened["Content-Type"] == "image/jpeg"
    assert b"".join(opened.streaming_content).startswith(b"\xff\xd8\xff")

    outsider = HttpClient()
    outsider.force_login(personas.outsider)
    assert outsider.get(f"/messages/{photo.message_id}/attachments/{photo.pk}/").status_code == 404

    api = api_client_for(personas, personas.owner)
    with django_assert_max_num_queries(12):
        listed = api.get("/api/v1/messages", {"client_id": personas.client.pk, "direction": "in"})
    rows = {row["id"]: row for row in listed.json()["results"]}
    auto = Message.objects.get(kind=MessageKind.AUTO_REPLY)
    assert rows[auto.pk]["kind"] == "auto_reply"
    assert rows[photo.message_id]["kind"] == "reply"
    (listed_photo,) = rows[photo.message_id]["attachments"]
    assert listed_photo["name"] == "IMG_0412.jpeg"
    assert listed_photo["content_type"] == "image/jpeg"
    fetched = api.get(listed_photo["url"])
    assert fetched.status_code == 200
    fake = next(
        a for row in rows.values() for a in row["attachments"] if a["name"] == "swelling.jpg"
    )
    assert fake["url"] is None
    clients = api.get(f"/api/v1/clients/{personas.client.pk}").json()
    assert clients["opted_out_at"] is None


@pytest.mark.usefixtures("inbound_settings")
def test_nul_characters_and_a_malformed_to_header_are_stored_not_a_server_error(
    personas: Personas, client: HttpClient
) -> None:
    # Both found by the fuzz test on PostgreSQL: its text columns refuse NUL, and the email
    # package's header parser raises on a broken address group.
    sent = message_queue(client=personas.client, template_key="check_in")
    raw = (
        b"From: Ruth Miller <ruth@example.org>\r\n"
        b"To: Riverside: <reply+" + sent.reply_token.encode() + b"@reply.example.org\r\n"
        b"Subject: Re: How are you\x00 doing?\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Dizzy again\x00 this morning.\r\n"
    )
    assert post_raw(client, raw).status_code == 200
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.client == personas.client
    assert reply.text_body == "Dizzy again\ufffd this morning."
    assert reply.triage_level == "attention"
