"""The care queue, its one-click actions, the care hour walk, care-hour settings and the feed.

Views parse input, call one service and redirect (or, for htmx, return the changed fragment).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.practice.access import get_scoped_or_404
from aftercare.practice.audit import record_reads
from aftercare.practice.models import Membership
from aftercare.practice.pages import practice_page
from aftercare.queue import feed as calendar_feed
from aftercare.queue import hours, items, selectors, services, today
from aftercare.queue.models import CalendarFeed, CareHour, Weekday

# The salt of the links already handed out (from before the queue was its own app): kept.
FEED_SALT = "aftercare.care.feed"


def _scope(request: HttpRequest) -> str:
    """``?scope=``; by default *mine*, except for assistants, who have no clients of their own."""
    actor = request.actor  # type: ignore[attr-defined]
    default = "mine" if actor.sees_private_notes else "practice"
    scope = request.GET.get("scope") or request.POST.get("scope") or default
    return scope if scope in items.SCOPES else default


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {message}"
            for field, errors in error.message_dict.items()
            for message in errors
        )
    return " ".join(error.messages)


def parse_snooze_date(raw: str, tz: dt.tzinfo) -> dt.datetime | None:
    """``YYYY-MM-DD`` → the start of that day in the practice's time zone."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as error:
        raise ValidationError({"until": "Enter the date as YYYY-MM-DD."}) from error
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)


def _today_scope(request: HttpRequest) -> str:
    """Practitioners see their own day; owners may look at the whole practice; assistants, who
    have no clients of their own, see the whole practice."""
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.sees_private_notes:
        return "practice"
    if actor.is_owner and request.GET.get("scope") == "practice":
        return "practice"
    return "mine"


@require_GET
@practice_page
def today_page(request: HttpRequest) -> HttpResponse:
    """Today: what needs a person now, one card per kind of work, each entry with its action."""
    actor = request.actor  # type: ignore[attr-defined]
    now = clock.now()
    scope = _today_scope(request)
    cards = today.today_cards(actor, now, scope)
    client_ids = [
        entry.client_id for card in cards for entry in card.entries if entry.client_id is not None
    ]
    record_reads(actor, Client, client_ids, f"Opened Today ({len(client_ids)} entries)")
    return render(
        request,
        "queue/today.html",
        {
            "cards": cards,
            "scope": scope,
            "can_choose_scope": actor.is_owner,
            "today": now.astimezone(actor.practice.tz),
            "next_url": request.get_full_path(),
        },
    )


@require_GET
@practice_page
def care_queue(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    now = clock.now()
    scope = _scope(request)
    page = selectors.care_queue_page(
        actor, now, scope=scope, limit=selectors.QUEUE_PAGE_SIZE, count=items.COUNT_UP_TO
    )
    tomorrow = clock.today(actor.practice.tz) + dt.timedelta(days=1)
    shown = page.items
    record_reads(
        actor,
        Client,
        [item.client_id for item in shown if item.client_id],
        f"Opened the care queue ({len(shown)} items)",
    )
    return render(
        request,
        "queue/queue.html",
        {
            "items": shown,
            "total": page.total,
            "total_words": items.count_words(page.total),
            "more": items.count_words(page.total, less=len(shown))
            if page.total > len(shown)
            else "",
            "scope": scope,
            "tomorrow": tomorrow,
            "next_url": request.get_full_path(),
        },
    )


@require_POST
@practice_page
def queue_act(request: HttpRequest) -> HttpResponse:
    """One-click action on a queue item: done, snooze to a date, or skip with a reason."""
    actor = request.actor  # type: ignore[attr-defined]
    item_id = request.POST.get("item", "")
    action = request.POST.get("action", "")
    next_url = _safe_next(request, reverse("care-queue"))
    try:
        until = parse_snooze_date(request.POST.get("until", ""), actor.practice.tz)
        services.queue_item_perform(
            actor=actor,
            item_id=item_id,
            action=action,
            until=until,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        if _is_htmx(request):
            return _item_fragment(request, item_id, error=_error_text(error))
        messages.error(request, _error_text(error))
        return redirect(next_url)
    done_text = {"done": "Done.", "snooze": "Snoozed.", "skip": "Skipped."}.get(action, "Saved.")
    if _is_htmx(request):
        # The item leaves the list: an empty swap removes its row.
        return HttpResponse("")
    messages.success(request, done_text)
    return redirect(next_url)


def _item_fragment(request: HttpRequest, item_id: str, *, error: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    now = clock.now()
    for item in selectors.care_queue(actor, now, scope="practice"):
        if item.id == item_id:
            return render(
                request,
                "queue/_queue_items.html",
                {
                    "queue_items": [item],
                    "error": error,
                    "tomorrow": clock.today(actor.practice.tz) + dt.timedelta(days=1),
                    "next_url": _safe_next(request, reverse("care-queue")),
                },
            )
    return HttpResponse("")


@require_GET
@practice_page
def care_hour(request: HttpRequest) -> HttpResponse:
    """The queue cut to what fits the current (or next) care hour, one item at a time."""
    actor = request.actor  # type: ignore[attr-defined]
    now = clock.now()
    scope = _scope(request)
    tz = actor.practice.tz
    occurrence = hours.current_or_next_occurrence(
        selectors.time_boxes(selectors.care_hours_of(actor)), now, tz
    )
    context: dict[str, object] = {"occurrence": occurrence, "scope": scope, "tz": tz}
    if occurrence is not None:
        minutes = occurrence.minutes_left(now)
        chosen = selectors.care_hour_items(actor, now, scope=scope, minutes=minutes)
        try:
            position = max(0, int(request.GET.get("pos", "0")))
        except ValueError:
            position = 0
        position = min(position, len(chosen))
        here = reverse("care-hour")
        context.update(
            {
                "in_progress": occurrence.contains(now),
                "minutes": minutes,
                "items": chosen,
                "planned_minutes": sum(item.estimated_minutes for item in chosen),
                "position": position,
                "item": chosen[position] if position < len(chosen) else None,
                "current": chosen[position : position + 1],
                "next_position": position + 1,
                "here_url": f"{here}?pos={position}&scope={scope}",
                "next_url": f"{here}?pos={position + 1}&scope={scope}",
                "tomorrow": clock.today(tz) + dt.timedelta(days=1),
                "starts_local": occurrence.starts_at.astimezone(tz),
                "ends_local": occurrence.ends_at.astimezone(tz),
            }
        )
    return render(request, "queue/care_hour.html", context)


def feed_token(feed: CalendarFeed) -> str:
    return signing.Signer(salt=FEED_SALT).sign(f"{feed.pk}.{feed.key}")


@require_http_methods(["GET", "POST"])
@practice_page
def care_hours(request: HttpRequest) -> HttpResponse:
    """The user's recurring care hours: list, add, and the calendar feed address."""
    actor = request.actor  # type: ignore[attr-defined]
    errors: dict[str, list[str]] = {}
    values = {"weekday": "1", "starts": "08:00", "ends": "09:00"}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            weekday = _parse_weekday(values["weekday"])
            starts = _parse_time("starts", values["starts"])
            ends = _parse_time("ends", values["ends"])
            services.care_hour_create(actor=actor, weekday=weekday, starts=starts, ends=ends)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, "Care hour added.")
            return redirect("care-hours")
    feed = services.calendar_feed_for(actor=actor)
    feed_url = request.build_absolute_uri(reverse("care-feed", args=[feed_token(feed)]))
    return render(
        request,
        "queue/care_hours.html",
        {
            "hours": selectors.care_hours_of(actor),
            "weekdays": Weekday.choices,
            "values": values,
            "errors": errors,
            "feed_url": feed_url,
        },
        status=400 if errors else 200,
    )


def _parse_weekday(raw: str) -> int:
    try:
        weekday = int(raw)
    except ValueError as error:
        raise ValidationError({"weekday": "Choose a day of the week."}) from error
    if weekday not in range(7):
        raise ValidationError({"weekday": "Choose a day of the week."})
    return weekday


def _parse_time(name: str, raw: str) -> dt.time:
    try:
        return dt.time.fromisoformat(raw.strip())
    except ValueError as error:
        raise ValidationError({name: "Enter a time as HH:MM, e.g. 08:00."}) from error


@require_POST
@practice_page
def care_hours_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    hour = get_scoped_or_404(CareHour.objects.all(), actor, pk=pk, user=actor.user)
    services.care_hour_delete(actor=actor, hour=hour)
    messages.success(request, "Care hour removed.")
    return redirect("care-hours")


@require_POST
@practice_page
def care_feed_reset(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_reset(actor=request.actor)  # type: ignore[attr-defined]
    messages.success(request, "New calendar address made; the old one no longer works.")
    return redirect("care-hours")


@require_http_methods(["GET", "HEAD"])
def care_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's care hours (and other registered events) as iCalendar; no sign-in, a signed URL."""
    try:
        value = signing.Signer(salt=FEED_SALT).unsign(token)
        feed_id, key = value.split(".", 1)
        feed = CalendarFeed.objects.select_related("practice", "user").get(pk=int(feed_id))
    except (signing.BadSignature, ValueError, CalendarFeed.DoesNotExist) as error:
        raise Http404("Unknown calendar feed") from error
    if (
        not constant_time_compare(feed.key, key)
        or not feed.user.is_active
        or not Membership.objects.filter(user=feed.user, practice=feed.practice).exists()
    ):
        raise Http404("Unknown calendar feed")
    body = calendar_feed.render_feed(user=feed.user, practice=feed.practice, now=clock.now())
    # The document is the same bytes until an event changes (feed.py, step 2): its digest is
    # the ETag, and a calendar program asking with it gets a 304 and nothing to parse.
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="aftercare.ics"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    return response
