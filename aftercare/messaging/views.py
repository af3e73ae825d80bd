"""Practice pages for messaging: the outbox, the unmatched inbox, replies, templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from aftercare import clock, statements
from aftercare.clients.models import Client
from aftercare.clients.picker import client_picker
from aftercare.messaging import inbox, templating
from aftercare.messaging.attachments import INLINE_TYPES
from aftercare.messaging.consent import consent_channel, consent_request_send
from aftercare.messaging.inbound import client_path, route_inbound
from aftercare.messaging.inbox_rows import inbox_rows
from aftercare.messaging.models import (
    Direction,
    Message,
    MessageAttachment,
    MessageChannel,
    MessageStatus,
    MessageTemplate,
    TriageLevel,
)
from aftercare.messaging.outbox_rows import OutboxPage, outbox_rows
from aftercare.messaging.selectors import sample_context, template_name, template_rows
from aftercare.messaging.services import (
    MESSAGE_CHANNELS,
    TEMPLATE_PARTS,
    TemplateProblems,
    message_acknowledge,
    message_mark_unread,
    message_reply,
    message_template_save,
    messaging_settings_for,
    render_context,
    template_check,
    template_source,
    usable_address,
)
from aftercare.messaging.transports import preview_mode, sms_live, sms_sender, twilio_account
from aftercare.practice.access import get_scoped_or_404, owner_required, practice_required, scoped
from aftercare.practice.audit import record_audit, record_reads
from aftercare.practice.models import LANGUAGES

PAGE_SIZE = 50


def next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@practice_required
def outbox(request: HttpRequest) -> HttpResponse:
    """What we send (clients' replies are in the inbox), newest first, by status."""
    actor = request.actor  # type: ignore[attr-defined]
    direction = ""
    status = request.GET.get("status", "")
    if status not in MessageStatus.values:
        status = ""
    page = OutboxPage.of(actor.practice.pk, page_number(request), PAGE_SIZE, status=status)
    record_reads(
        actor,
        Message,
        [row.client_id for row in page if row.client_id],
        f"Opened the outbox (page {page.number})",
    )
    return render(
        request,
        "messaging/outbox.html",
        {
            "page": page,
            "rows": outbox_rows(page.rows),
            "preview": preview_mode(),
            "direction": direction,
            "status": status,
        },
    )


def page_number(request: HttpRequest) -> int:
    """``?page=``: a page from 1 (anything else is the first page)."""
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1


INBOX_STATES = {"unread": "Unread", "read": "Read"}
UNMATCHED_SHOWN = 50


@practice_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    """What clients wrote: unread first, filtered by triage level, practitioner, channel, state."""
    actor = request.actor  # type: ignore[attr-defined]
    choices = {
        "level": dict(TriageLevel.choices),
        "practitioner": inbox.practitioner_choices(actor.practice) | {"none": "No practitioner"},
        "channel": dict(MessageChannel.choices),
        "state": INBOX_STATES,
    }
    chosen: dict[str, str] = {}
    problems = []
    for name in inbox.INBOX_FILTERS:
        value = request.GET.get(name, "")
        if value and value not in choices[name]:
            problems.append(f"Unknown {name} “{value[:40]}”: showing every {name}.")
            value = ""
        chosen[name] = value
    page = inbox.inbox_page(actor, page_number(request), PAGE_SIZE, **chosen)
    record_reads(
        actor,
        Message,
        [message.client_id for message in page if message.client_id],
        f"Opened the inbox (page {page.number})",
    )
    query = "&".join(f"{name}={value}" for name, value in chosen.items() if value)
    return render(
        request,
        "messaging/inbox.html",
        {
            "page": page,
            "rows": inbox_rows(
                page, csrf_token=get_token(request), next_url=request.get_full_path()
            ),
            "choices": choices,
            "chosen": chosen,
            "problems": problems,
            "query": query,
        },
        status=400 if problems else 200,
    )


@practice_required
def conversation(request: HttpRequest, client_id: int) -> HttpResponse:
    """Everything one client wrote and we sent them, oldest first, and a box to answer."""
    actor = request.actor  # type: ignore[attr-defined]
    client = get_scoped_or_404(
        Client.objects.select_related("primary_practitioner"), actor, pk=client_id
    )
    thread = inbox.conversation_of(client)
    record_audit(actor, "view", client, summary="Read the conversation")
    channels = [
        (channel, MessageChannel(channel).label)
        for channel in MESSAGE_CHANNELS
        if usable_address(client, channel)
    ]
    settings_row = messaging_settings_for(actor.practice)
    return render(
        request,
        "messaging/conversation.html",
        {
            "client": client,
            "thread": [
                {"message": message, "status": inbox.status_words(message)} for message in thread
            ],
            "channels": channels,
            "sms_link_only": settings_row.sms_link_only,
            "opted_out": client.opted_out_at is not None,
            "client_time": clock.now().astimezone(client.tz),
            "next_url": request.get_full_path(),
        },
    )


@require_POST
@practice_required
def mark_unread(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    message = get_scoped_or_404(Message.objects.all(), actor, pk=pk, direction=Direction.INBOUND)
    message_mark_unread(actor=actor, message=message)
    flash.success(request, "Marked unread.")
    return redirect(next_or(request, reverse("messaging-inbox")))


@practice_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    message = get_scoped_or_404(
        Message.objects.select_related("client", "acknowledged_by"), actor, pk=pk
    )
    attempts = list(message.attempts.all())
    record_audit(
        actor, "view", message, summary=f"Read a message ({message.get_channel_display()})"
    )
    return render(request, "messaging/detail.html", {"message": message, "attempts": attempts})


@practice_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A photo or file a client sent, behind sign-in (never under a public URL)."""
    actor = request.actor  # type: ignore[attr-defined]
    found = get_scoped_or_404(
        MessageAttachment.objects.exclude(file=""), actor, pk=attachment_id, message_id=pk
    )
    record_audit(
        actor, "view", found.message, summary=f"Opened an attachment ({found.content_type})"
    )
    return attachment_response(found)


def attachment_response(found: MessageAttachment) -> FileResponse:
    """The file with its own type; shown inline only for the types we check by content."""
    response = FileResponse(
        found.file.open("rb"),
        content_type=found.content_type,
        as_attachment=found.content_type not in INLINE_TYPES,
        filename=found.name,
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'"
    return response


@practice_required
def unmatched(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = list(
        scoped(Message, actor)
        .filter(direction=Direction.INBOUND, client__isnull=True)
        .prefetch_related("attachments")
        .order_by("-created_at")[:UNMATCHED_SHOWN]
    )
    # One client picker per message (by name, email or phone, never a list of every client);
    # a picker costs queries only while someone searches in it.
    return render(
        request,
        "messaging/unmatched.html",
        {
            "rows": [
                {
                    "message": message,
                    "picker": client_picker(
                        actor,
                        name=f"client_{message.pk}",
                        label="Who wrote this?",
                        chosen_ids=[],
                        query=request.GET.get(f"client_{message.pk}_q", "")[:200],
                        multiple=False,
                    ),
                }
                for message in rows
            ]
        },
    )


@require_POST
@practice_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    message = get_scoped_or_404(Message.objects.all(), actor, pk=pk, client__isnull=True)
    field = f"client_{pk}"
    if request.POST.get(f"{field}_search"):
        # Without JavaScript the picker's Search button lands here: show the results.
        query = request.POST.get(f"{field}_q", "")[:200]
        url = reverse("messaging-unmatched") + "?" + urlencode({f"{field}_q": query})
        return redirect(f"{url}#message-{pk}")
    try:
        client_id = int(request.POST.get(field) or request.POST.get("client", ""))
    except ValueError:
        flash.error(request, "Choose the client who wrote this message: search by name.")
        return redirect("messaging-unmatched")
    client = get_scoped_or_404(Client.objects.select_related("practice"), actor, pk=client_id)
    with transaction.atomic():
        message.client = client
        message.save(update_fields=["client"])
        record_audit(actor, "change", message, summary=f"Assigned to {client.full_name}")
        route_inbound(message)
    flash.success(request, f"Assigned to {client.full_name}.")
    return redirect("messaging-unmatched")


@require_POST
@practice_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    message = get_scoped_or_404(Message.objects.all(), actor, pk=pk)
    message_acknowledge(actor=actor, message=message)
    if message.direction == Direction.INBOUND:
        flash.success(request, "Marked read.")
    return redirect(next_or(request, reverse("messaging-detail", args=[pk])))


@require_POST
@practice_required
def send_consent_request(request: HttpRequest, client_id: int) -> HttpResponse:
    """The practitioner sends an unanswered consent request again, by hand."""
    actor = request.actor  # type: ignore[attr-defined]
    client = get_scoped_or_404(Client.objects.select_related("practice"), actor, pk=client_id)
    if not client.awaits_consent_answer:
        flash.error(request, f"{client.full_name} has already answered the consent request.")
    elif not consent_channel(client):
        flash.error(request, f"No usable email address or mobile number for {client.full_name}.")
    else:
        consent_request_send(client=client, actor=actor)
        flash.success(request, "The consent request is in the outbox.")
    return redirect(client_path(client))


@require_POST
@practice_required
def reply(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = get_scoped_or_404(
        Client.objects.select_related("practice", "primary_practitioner"), actor, pk=client_id
    )
    try:
        message = message_reply(
            actor=actor,
            client=client,
            body=request.POST.get("body", ""),
            subject=request.POST.get("subject", ""),
            channel=request.POST.get("channel", ""),
        )
    except ValueError as error:
        flash.error(request, str(error))
    else:
        if message.status == "failed":
            flash.error(request, message.status_reason)
        else:
            flash.success(request, "Your message is in the outbox.")
    return redirect(next_or(request, client_path(client)))


@owner_required
def messaging_settings(request: HttpRequest) -> HttpResponse:
    """The practice's messaging policy (owner only): link-only SMS."""
    actor = request.actor  # type: ignore[attr-defined]
    current = messaging_settings_for(actor.practice)
    if request.method == "POST":
        link_only = request.POST.get("sms_link_only") == "yes"
        if link_only != current.sms_link_only:
            with transaction.atomic():
                current.sms_link_only = link_only
                current.save(update_fields=["sms_link_only"])
                record_audit(
                    actor,
                    "change",
                    current,
                    summary="SMS link-only " + ("on" if link_only else "off"),
                    changes={"sms_link_only": [not link_only, link_only]},
                )
        flash.success(request, "Messaging settings saved.")
        return redirect("messaging-settings")
    return render(
        request,
        "messaging/settings.html",
        {
            "settings": current,
            "preview": preview_mode(),
            "sms_live": sms_live(actor.practice),
            "sms_from": sms_sender(actor.practice),
            "twilio_account": twilio_account(),
            "email_live": settings.MESSAGING_EMAIL_LIVE,
        },
    )


@practice_required
def templates_list(request: HttpRequest) -> HttpResponse:
    """The built-in templates (with whether the practice changed them) and its own."""
    actor = request.actor  # type: ignore[attr-defined]
    languages = dict(LANGUAGES)
    rows = [
        {"row": row, "language": languages.get(row.language, row.language)}
        for row in template_rows(actor.practice)
    ]
    return render(
        request,
        "messaging/templates.html",
        {
            "built_in": [r for r in rows if r["row"].built_in],
            "own": [r for r in rows if not r["row"].built_in],
        },
    )


def _template_source_posted(request: HttpRequest) -> dict[str, str]:
    return {part: request.POST.get(part, "") for part, _ in TEMPLATE_PARTS}


def _preview_client(request: HttpRequest, actor: Any) -> Client | None:
    """The client chosen to preview for (the practice's: another's is a 404), if any."""
    raw = request.POST.get("client") or request.GET.get("client")
    if raw and raw.isdigit():
        return get_scoped_or_404(
            Client.objects.select_related("practice", "primary_practitioner"), actor, pk=int(raw)
        )
    return None


def _first_client(actor: Any) -> Client | None:
    """The practice's first active client (by id), whom a template's page previews for until
    another is chosen; read through a statement (its page asks on every visit)."""
    found = statements.objects(
        "messaging: the first client, to preview a template for",
        lambda practice: Client.objects.filter(practice_id=practice, archived=False).order_by("id")[
            :1
        ],
        model=Client,
        related=("primary_practitioner",),
        known={"practice": actor.practice},
        practice=actor.practice.pk,
    )
    return found[0] if found else None


def _preview(actor: Any, source: dict[str, str], chosen: Client | None) -> dict[str, Any] | None:
    """The email and the text for ``chosen`` (else the sample client); None while it has problems."""
    if template_check(source):
        return None
    if chosen is not None:
        record_reads(actor, Client, [chosen.pk], summary="Template preview")
        context = render_context(
            chosen,
            needs_when_read="when_read" in source["text"],
            # What a link-only text links to, as an example (no message exists yet).
            message_url=f"{settings.BASE_URL}/p/m/…/",
        )
    else:
        context = sample_context(actor.practice)
    return {
        "for": chosen.full_name if chosen is not None else "Alex Sample, an example client",
        "email": templating.render(
            subject=source["subject"], text=source["text"], html=source["html"], context=context
        ),
        "sms": templating.render_string(source["sms"] or source["text"], context),
    }


def _template_page(
    request: HttpRequest,
    actor: Any,
    *,
    source: dict[str, str],
    problems: list[str],
    chosen: Client | None,
    label: str,
    language: str,
    name: str | None,
    key: str = "",
) -> HttpResponse:
    picker = client_picker(
        actor,
        name="client",
        label="Preview for",
        chosen_ids=[chosen.pk] if chosen else [],
        query=(request.POST.get("client_q") or request.GET.get("client_q") or "")[:200],
        multiple=False,
        help_text="A client whose details fill the placeholders in the preview; "
        "none chosen: Alex Sample, an example client.",
    )
    return render(
        request,
        "messaging/template_edit.html",
        {
            "key": key,
            "language": language,
            "languages": LANGUAGES,
            "name": name,
            "source": source,
            "errors": problems,
            "picker": picker,
            "label": label,
            "language_name": dict(LANGUAGES).get(language, language),
            "preview": None if problems else _preview(actor, source, chosen),
            "context_names": templating.CONTEXT_NAMES,
            "private": templating.is_private(key),
        },
        status=400 if problems else 200,
    )


@practice_required
def template_create(request: HttpRequest) -> HttpResponse:
    """A new template of the practice's own; ``?copy=<key>&language=<xx>`` starts from another."""
    actor = request.actor  # type: ignore[attr-defined]
    language = request.POST.get("language") or request.GET.get("language") or "en"
    if language not in dict(LANGUAGES):
        raise Http404("No such language")
    name, source = "", {part: "" for part, _ in TEMPLATE_PARTS}
    copied = request.GET.get("copy", "")
    if request.method != "POST" and copied:
        try:
            source = template_source(actor.practice, copied, language)
        except ValueError:
            raise Http404("No such template") from None
        own = scoped(MessageTemplate, actor).filter(key=copied, language=language).first()
        name = f"Copy of {template_name(copied, language, own.name if own else '')}"
    problems: list[str] = []
    action = request.POST.get("action") or ("preview" if request.POST.get("client_search") else "")
    if request.method == "POST":
        name, source = request.POST.get("name", ""), _template_source_posted(request)
        if action == "save":
            try:
                row = message_template_save(
                    actor=actor, source=source, language=language, name=name
                )
            except TemplateProblems as error:
                problems = error.problems
            else:
                flash.success(request, f"Template “{row.name}” saved.")
                return redirect("messaging-template-edit", key=row.key, language=language)
        else:
            problems = template_check(source, name=name)
    return _template_page(
        request,
        actor,
        source=source,
        problems=problems,
        chosen=_preview_client(request, actor),
        label="New template",
        language=language,
        name=name,
    )


@practice_required
def template_edit(request: HttpRequest, key: str, language: str) -> HttpResponse:
    """A built-in template's wording for the practice, or a template of its own."""
    actor = request.actor  # type: ignore[attr-defined]
    if language not in dict(LANGUAGES):
        raise Http404("No such template")
    own = scoped(MessageTemplate, actor).filter(key=key, language=language).first()
    built_in = key in templating.template_keys()
    if not built_in and own is None:
        raise Http404("No such template")
    name = None if built_in else own.name  # type: ignore[union-attr]
    source = template_source(actor.practice, key, language)
    problems: list[str] = []
    # The preview client's picker searches by submitting the form: a preview, edits kept.
    action = request.POST.get("action") or ("preview" if request.POST.get("client_search") else "")
    if request.method == "POST" and action in {"save", "preview"}:
        source = _template_source_posted(request)
        if name is not None:
            name = request.POST.get("name", "")
        if action == "save":
            try:
                message_template_save(
                    actor=actor, source=source, language=language, key=key, name=name
                )
            except TemplateProblems as error:
                problems = error.problems
            else:
                flash.success(request, "Template saved.")
                return redirect("messaging-template-edit", key=key, language=language)
        else:
            problems = template_check(source, name=name)
    chosen = _preview_client(request, actor)
    if chosen is None and "client" not in request.POST:
        chosen = _first_client(actor)
    return _template_page(
        request,
        actor,
        source=source,
        problems=problems,
        chosen=chosen,
        label=template_name(key, language, name or ""),
        language=language,
        name=name,
        key=key,
    )


@require_POST
@practice_required
def template_preview(request: HttpRequest) -> HttpResponse:
    """The live preview as a template is typed (htmx): its problems, or what a client reads."""
    actor = request.actor  # type: ignore[attr-defined]
    source = _template_source_posted(request)
    problems = template_check(source)
    return render(
        request,
        "messaging/_template_preview.html",
        {
            "errors": problems,
            "preview": None
            if problems
            else _preview(actor, source, _preview_client(request, actor)),
        },
    )
