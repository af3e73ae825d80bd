"""The client portal: pages reached by signed links, no login, no JavaScript needed.

Each view reads its link (``aftercare.links``), loads one object by the id inside it,
and shows a kind page for an expired or broken link instead of an error.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.appointments.services import appointment_confirm, appointment_request_rebook
from aftercare.clients.models import Client, Purpose
from aftercare.clients.services import client_answer_consent_request
from aftercare.links import LinkExpired, LinkInvalid, make_token, read_token
from aftercare.locales import format_day_at, practice_locale
from aftercare.measures.models import Measure
from aftercare.measures.scoring import items_to_ask
from aftercare.measures.selectors import questionnaires_for
from aftercare.measures.services import MeasureError, measure_answer, next_question
from aftercare.messaging.availability import when_read_sentence
from aftercare.messaging.models import CheckIn, Direction, Message
from aftercare.messaging.services import (
    MESSAGE_CHANNELS,
    client_opt_out,
    client_set_preferences,
    usable_address,
)
from aftercare.portal.services import Answer, check_in_answer, check_in_send_new_link
from aftercare.practice.access import Actor
from aftercare.resources.models import ResourceShare
from aftercare.resources.rendering import render_markdown

SCORES = list(range(11))


def invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/invalid_link.html", status=404)


def load_check_in(check_in_id: int) -> CheckIn | None:
    return (
        CheckIn.objects.select_related(
            "client__practice", "client__primary_practitioner", "reply__acknowledged_by", "message"
        )
        .filter(pk=check_in_id)
        .first()
    )


def parse_answer(data: dict[str, str]) -> tuple[Answer | None, dict[str, str]]:
    errors: dict[str, str] = {}
    raw = (data.get("score") or "").strip()
    score = None
    if raw:
        try:
            score = int(raw)
        except ValueError:
            score = -1
        if score not in SCORES:
            errors["score"] = "Choose a number from 0 to 10."
    side_effects = (data.get("side_effects") or "").strip()[:2000]
    free_text = (data.get("free_text") or "").strip()[:5000]
    contact_me = data.get("contact_me") == "yes"
    if score is None and not side_effects and not free_text and not contact_me:
        errors["score"] = "Tell us how you are doing: choose a number, or write a few words."
    if errors:
        return None, errors
    return Answer(
        score=score, side_effects=side_effects, contact_me=contact_me, free_text=free_text
    ), {}


@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        check_in_id = read_token("check_in", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as expired:
        found = load_check_in(expired.object_id)
        if found is None:
            return invalid_link(request)
        return render(
            request,
            "portal/link_expired.html",
            {"check_in": found, "client": found.client, "token": token},
            status=410,
        )
    found = load_check_in(check_in_id)
    if found is None:
        return invalid_link(request)
    client = found.client
    reply = found.reply
    if reply is not None and reply.acknowledged_at is not None:
        # Already read: the link has done its job; say who read it rather than reopen it.
        return render(request, "portal/check_in_read.html", {"check_in": found, "client": client})
    errors: dict[str, str] = {}
    values = {
        "score": "" if found.score is None else str(found.score),
        "side_effects": found.side_effects,
        "contact_me": found.contact_me,
        "free_text": found.free_text,
    }
    if request.method == "POST":
        answer, errors = parse_answer(request.POST)
        if answer is not None:
            check_in_answer(check_in=found, answer=answer)
            return redirect("portal-check-in-thanks", token=token)
        values = {
            "score": request.POST.get("score", ""),
            "side_effects": request.POST.get("side_effects", ""),
            "contact_me": request.POST.get("contact_me") == "yes",
            "free_text": request.POST.get("free_text", ""),
        }
    return render(
        request,
        "portal/check_in.html",
        {
            "check_in": found,
            "client": client,
            "practice": client.practice,
            "errors": errors,
            "values": values,
            "scores": SCORES,
        },
        status=400 if errors else 200,
    )


def check_in_thanks(request: HttpRequest, token: str) -> HttpResponse:
    try:
        check_in_id = read_token("check_in", token)
    except (LinkInvalid, LinkExpired):
        return invalid_link(request)
    found = load_check_in(check_in_id)
    if found is None or found.answered_at is None:
        return invalid_link(request)
    level = found.reply.triage_level if found.reply else ""
    return render(
        request,
        "portal/check_in_thanks.html",
        {
            "check_in": found,
            "client": found.client,
            "practice": found.client.practice,
            "crisis": level == "crisis",
            "flagged": level in {"attention", "urgent", "crisis"},
            "when_read": when_read_sentence(found.client, clock.now()),
            "token": token,
        },
    )


@require_POST
def check_in_new_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        read_token("check_in", token)
        return redirect("portal-check-in", token=token)  # still valid: nothing to renew
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as expired:
        found = load_check_in(expired.object_id)
    if found is None:
        return invalid_link(request)
    sent = check_in_send_new_link(check_in=found)
    return render(
        request,
        "portal/new_link_sent.html",
        {
            "client": found.client,
            "sent": sent,
            "channel": found.message.channel if found.message else "",
        },
    )


def load_client(kind: str, token: str) -> Client | None:
    try:
        client_id = read_token(kind, token)
    except (LinkInvalid, LinkExpired):
        return None
    return Client.objects.select_related("practice").filter(pk=client_id).first()


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    client = load_client("preferences", token)
    if client is None:
        return invalid_link(request)
    errors: dict[str, str] = {}
    saved = False
    if request.method == "POST":
        if request.POST.get("unsubscribe_all") == "yes":
            client_opt_out(client=client, how="portal preferences")
            return render(request, "portal/unsubscribed.html", {"client": client, "token": token})
        paused_until = None
        raw_pause = (request.POST.get("paused_until") or "").strip()
        if raw_pause:
            try:
                paused_until = dt.date.fromisoformat(raw_pause)
            except ValueError:
                errors["paused_until"] = "Write the date as YYYY-MM-DD, e.g. 2026-12-24."
        if not errors:
            try:
                client_set_preferences(
                    client=client,
                    preferred_channel=request.POST.get("preferred_channel", ""),
                    consents={p: request.POST.get(f"consent_{p}") == "yes" for p in Purpose.values},
                    paused_until=paused_until,
                )
                saved = True
            except ValueError as error:
                field, _, text = str(error).partition(": ")
                errors[field] = text
        client.refresh_from_db()
    channels = [
        {
            "value": c,
            "label": dict(Client._meta.get_field("preferred_channel").choices)[c],
            "usable": bool(usable_address(client, c)),
        }
        for c in MESSAGE_CHANNELS
    ]
    purposes = [
        {"value": p, "label": label, "granted": client.has_consent(p)}
        for p, label in Purpose.choices
    ]
    return render(
        request,
        "portal/preferences.html",
        {
            "client": client,
            "practice": client.practice,
            "channels": channels,
            "purposes": purposes,
            "errors": errors,
            "saved": saved,
            "token": token,
        },
        status=400 if errors else 200,
    )


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    client = load_client("unsubscribe", token)
    if client is None:
        return invalid_link(request)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        client_opt_out(client=client, how="one-click unsubscribe" if one_click else "portal")
        return render(request, "portal/unsubscribed.html", {"client": client})
    # GET never changes anything: link scanners in mail systems open every link.
    return render(request, "portal/unsubscribe.html", {"client": client, "token": token})


@require_http_methods(["GET"])
def resource(request: HttpRequest, token: str) -> HttpResponse:
    """A resource shared with the client (by hand or by a care rule), sanitised Markdown."""
    expired = False
    try:
        share_id = read_token("resource", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as old:
        share_id, expired = old.object_id, True
    share = (
        ResourceShare.objects.select_related("resource", "client__practice")
        .filter(pk=share_id)
        .first()
    )
    if share is None:
        return invalid_link(request)
    practice = share.client.practice
    if expired:
        # Never show the content through an old link; say who can send it again.
        return render(
            request,
            "portal/resource_expired.html",
            {"client": share.client, "practice": practice},
            status=410,
        )
    return render(
        request,
        "portal/resource.html",
        {
            "resource": share.resource,
            "body_html": render_markdown(share.resource.body),
            "client": share.client,
            "practice": practice,
        },
    )


@require_http_methods(["GET"])
def message(request: HttpRequest, token: str) -> HttpResponse:
    """One message to its client, read here because the SMS/WhatsApp only carried the link.

    A forged link, or one to a message that was never sent link-only, is the kind 404; an
    expired one a kind 410 that names the practice and never shows the content.
    """
    expired = False
    try:
        message_id = read_token("message", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as old:
        message_id, expired = old.object_id, True
    found = (
        Message.objects.select_related("client__practice", "check_in")
        .filter(pk=message_id, direction=Direction.OUTBOUND, client__isnull=False)
        .exclude(portal_text="")
        .first()
    )
    if found is None:
        return invalid_link(request)
    client = found.client
    assert client is not None  # noqa: S101 - filtered above
    practice = client.practice
    if expired:
        return render(
            request,
            "portal/message_expired.html",
            {"client": client, "practice": practice},
            status=410,
        )
    check_in = getattr(found, "check_in", None)
    return render(
        request,
        "portal/message.html",
        {
            "message": found,
            "client": client,
            "practice": practice,
            # The one thing the message asks, as a button a thumb can find.
            "answer_url": reverse("portal-check-in", args=[make_token("check_in", check_in.pk)])
            if check_in is not None and check_in.answered_at is None
            else "",
        },
    )


# -- questionnaires (outcome measures) ----------------------------------------------------


def load_measure(measure_id: int) -> Measure | None:
    return (
        Measure.objects.select_related("client__practice", "client__primary_practitioner")
        .filter(pk=measure_id)
        .first()
    )


def _measure_from_token(request: HttpRequest, token: str) -> Measure | HttpResponse:
    """The measure a link is for, or the page to show instead (broken or expired link)."""
    try:
        measure_id = read_token("measure", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as expired:
        found = load_measure(expired.object_id)
        if found is None:
            return invalid_link(request)
        return render(
            request,
            "portal/measure_expired.html",
            {"client": found.client, "practice": found.client.practice},
            status=410,
        )
    found = load_measure(measure_id)
    return found if found is not None else invalid_link(request)


@require_http_methods(["GET", "POST"])
def measure(request: HttpRequest, token: str) -> HttpResponse:
    """One question per screen; every answer is saved at once (a safety answer acts at once)."""
    found = _measure_from_token(request, token)
    if isinstance(found, HttpResponse):
        return found
    client = found.client
    questionnaire = questionnaires_for(found.practice_id).get(found.questionnaire)
    if questionnaire is None:
        return invalid_link(request)
    wording = questionnaire.wording(found.language)
    if found.is_completed:
        return redirect("portal-measure-thanks", token=token)
    error = ""
    if request.method == "POST":
        raw = request.POST.get("value", "")
        try:
            found = measure_answer(
                measure=found,
                item_key=request.POST.get("item", ""),
                value=int(raw) if raw.lstrip("-").isdigit() else raw,
            )
        except MeasureError:
            error = "Please choose one of the answers."
        else:
            if found.is_completed:
                return redirect("portal-measure-thanks", token=token)
            return redirect("portal-measure", token=token)
    answers = {key: int(value) for key, value in found.answers.items()}
    asked = items_to_ask(questionnaire, answers)
    requested = request.GET.get("q", "")
    index = next_question(found, questionnaire) or 0
    if requested.isdigit() and int(requested) - 1 < len(asked):
        index = max(0, int(requested) - 1)
    if request.method == "POST" and error:
        posted = request.POST.get("item", "")
        index = next((i for i, item in enumerate(asked) if item.key == posted), index)
    item = asked[index]
    wording_item = next((w for w in wording.items if w.key == item.key), item)
    return render(
        request,
        "portal/measure_question.html",
        {
            "measure": found,
            "client": client,
            "practice": client.practice,
            "questionnaire": questionnaire,
            "wording": wording,
            "item": wording_item,
            "number": index + 1,
            "count": len(asked),
            "chosen": answers.get(item.key),
            "error": error,
            "token": token,
            # "Send my answers" only when no question can follow (PHQ-9 question 10 follows
            # question 9 when an answer above is not "Not at all").
            "last": item.key == questionnaire.items[-1].key
            or (index + 1 == len(asked) and questionnaire.items[-1].asked_if_any_above is None),
        },
        status=400 if error else 200,
    )


def measure_thanks(request: HttpRequest, token: str) -> HttpResponse:
    found = _measure_from_token(request, token)
    if isinstance(found, HttpResponse):
        return found
    questionnaire = questionnaires_for(found.practice_id).get(found.questionnaire)
    if questionnaire is None or not found.is_completed:
        return redirect("portal-measure", token=token)
    return render(
        request,
        "portal/measure_thanks.html",
        {
            "measure": found,
            "client": found.client,
            "practice": found.client.practice,
            "questionnaire": questionnaire,
            "wording": questionnaire.wording(found.language),
            "crisis": found.crisis_at is not None,
            "when_read": when_read_sentence(found.client, clock.now()),
        },
    )


@require_http_methods(["GET", "POST"])
def appointment(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder's page: confirm the visit or ask for another time (no login)."""
    try:
        appointment_id = read_token("appointment", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired:
        return render(request, "portal/appointment_expired.html", status=410)
    visit = (
        Appointment.objects.select_related("client__practice", "practitioner")
        .filter(pk=appointment_id)
        .first()
    )
    if visit is None:
        return invalid_link(request)
    practice = visit.client.practice
    actor = Actor(user=None, practice=practice, via="portal")
    answered = ""
    if request.method == "POST" and visit.status == "booked":
        if request.POST.get("answer") == "confirm":
            appointment_confirm(actor=actor, appointment=visit)
            answered = "confirmed"
        elif request.POST.get("answer") == "rebook":
            appointment_request_rebook(actor=actor, appointment=visit)
            answered = "rebook"
    local = visit.starts_at.astimezone(visit.client.tz)
    return render(
        request,
        "portal/appointment.html",
        {
            "visit": visit,
            "client": visit.client,
            "practice": practice,
            "when": format_day_at(local, "l j F Y", practice_locale(practice)),
            "answered": answered,
        },
    )


@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """The consent request's page: yes or no for each kind of message (no login)."""
    try:
        client_id = read_token("consent", token)
    except LinkInvalid:
        return invalid_link(request)
    except LinkExpired as expired:
        old = Client.objects.select_related("practice").filter(pk=expired.object_id).first()
        if old is None:
            return invalid_link(request)
        context = {"client": old, "practice": old.practice}
        return render(request, "portal/consent_expired.html", context, status=410)
    client = Client.objects.select_related("practice").filter(pk=client_id).first()
    if client is None:
        return invalid_link(request)
    chosen = {p: request.POST.get(f"consent_{p}", "") for p in Purpose.values}
    missing = False
    if request.method == "POST":
        missing = any(answer not in ("yes", "no") for answer in chosen.values())
        if not missing:
            client_answer_consent_request(
                client=client, answers={p: answer == "yes" for p, answer in chosen.items()}
            )
            return render(
                request,
                "portal/consent_thanks.html",
                {"client": client, "practice": client.practice},
            )
    purposes = [{"value": p, "label": label, "chosen": chosen[p]} for p, label in Purpose.choices]
    return render(
        request,
        "portal/consent.html",
        {"client": client, "practice": client.practice, "purposes": purposes, "missing": missing},
        status=400 if missing else 200,
    )


def colour(request: HttpRequest, rgb: str) -> HttpResponse:
    """The practice's colour for its pages, as a style sheet: the CSP allows no inline style."""
    return HttpResponse(f":root {{ --practice: #{rgb}; }}\n", content_type="text/css")
