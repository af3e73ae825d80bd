"""Re-checks just before a message goes out: is it still right to send it now?

Each check is ``fn(message, now) -> Verdict | None``. A ``cancel`` verdict stops the message
for good (opted out, consent withdrawn, appointment cancelled); a ``reschedule`` verdict holds it
until a later moment (quiet hours, a pause) — held, never dropped. Other apps add checks from
``AppConfig.ready()`` (supplies: "already re-ordered") with ``register_send_check``; a check
reads what it needs from ``message.context`` (e.g. ``supply_id``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from aftercare.appointments.models import Appointment
from aftercare.care.services import policy_of
from aftercare.messaging.models import Message


@dataclass(frozen=True)
class Verdict:
    action: str  # "cancel" or "reschedule"
    reason: str
    until: dt.datetime | None = None


SendCheck = Callable[[Message, dt.datetime], "Verdict | None"]
_checks: list[SendCheck] = []
# Rows several messages of one batch ask for (the practice's policy), read once per batch.
_batch_cache: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "aftercare_send_check_cache", default=None
)
# The messages of the batch being checked, so a check can read for all of them in one query.
_batch: contextvars.ContextVar[tuple[Message, ...]] = contextvars.ContextVar(
    "aftercare_send_check_batch", default=()
)


@contextlib.contextmanager
def batch_cache(messages: Iterable[Message] = ()) -> Iterator[None]:
    """Within this block, checks may reuse what they read for earlier messages, and read
    once for every message of the batch (``batch_of``)."""
    token = _batch_cache.set({})
    batch_token = _batch.set(tuple(messages))
    try:
        yield
    finally:
        _batch.reset(batch_token)
        _batch_cache.reset(token)


def batch_of(message: Message) -> tuple[Message, ...]:
    """The messages checked together with ``message`` (just it, outside a batch)."""
    batch = _batch.get()
    return batch if any(m is message for m in batch) else (message,)


def batch_cached(name: str, message: Message, load: Callable[[tuple[Message, ...]], Any]) -> Any:
    """``load(batch)`` once per batch (a query for all its messages), else for ``message``."""
    batch = batch_of(message)
    if len(batch) == 1:
        return load(batch)
    return cached(("batch", name), lambda: load(batch))


def cached(key: Any, load: Callable[[], Any]) -> Any:
    cache = _batch_cache.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def register_send_check(fn: SendCheck) -> SendCheck:
    if fn not in _checks:
        _checks.append(fn)
    return fn


def recheck(message: Message, now: dt.datetime) -> Verdict | None:
    """The first check that objects, or None when the message may go out now."""
    for check in list(_checks):
        verdict = check(message, now)
        if verdict is not None:
            return verdict
    return None


@register_send_check
def client_still_reachable(message: Message, now: dt.datetime) -> Verdict | None:
    client = message.client
    if client is None:
        return None
    if client.archived and message.automated:
        return Verdict("cancel", "The client is archived")
    if message.channel == "email" and client.email_unusable:
        return Verdict("cancel", "The email address failed permanently before")
    if message.channel in {"sms", "whatsapp"} and client.phone_unusable:
        return Verdict("cancel", "The mobile number failed permanently before")
    return None


@register_send_check
def client_still_wants_it(message: Message, now: dt.datetime) -> Verdict | None:
    client = message.client
    if client is None or not message.automated:
        return None
    if client.opted_out_at is not None:
        return Verdict("cancel", "The client unsubscribed from automated messages")
    if message.in_reply_to_id is not None:
        return None  # an answer to what the client just wrote (acknowledgement, crisis help)
    if message.purpose in {"care", "information", "celebrations"} and not client.has_consent(
        message.purpose
    ):
        return Verdict("cancel", f"The client has not consented to {message.purpose} messages")
    if client.paused_until is not None and client.paused_until >= now.astimezone(client.tz).date():
        resume = dt.datetime.combine(
            client.paused_until + dt.timedelta(days=1), dt.time(9, 0), tzinfo=client.tz
        )
        return Verdict("reschedule", f"Paused by the client until {client.paused_until}", resume)
    return None


@register_send_check
def appointment_not_cancelled(message: Message, now: dt.datetime) -> Verdict | None:
    appointment_id = message.context.get("appointment_id")
    if not appointment_id:
        return None

    def load(batch: tuple[Message, ...]) -> dict[tuple[int, int], str]:
        wanted = {
            int(m.context["appointment_id"]) for m in batch if m.context.get("appointment_id")
        }
        rows = Appointment.objects.filter(pk__in=wanted).values_list("pk", "practice_id", "status")
        return {(pk, practice_id): status for pk, practice_id, status in rows}

    statuses = batch_cached("appointments", message, load)
    status = statuses.get((int(appointment_id), message.practice_id))
    if status is None or status in {"cancelled", "late_cancelled"}:
        return Verdict("cancel", "The appointment was cancelled")
    return None


def written_by_a_person_or_an_answer(message: Message) -> bool:
    """A person's own words (or an answer to what the client just wrote) go when sent.

    Everything else — automated messages, and notices the practice sends without anyone
    writing them just now (the emergency list's "you can reach me") — waits for quiet hours.
    """
    if message.in_reply_to_id is not None:
        return True
    return not message.automated and message.sent_by_id is not None


@register_send_check
def outside_quiet_hours(message: Message, now: dt.datetime) -> Verdict | None:
    client = message.client
    if client is None or written_by_a_person_or_an_answer(message):
        return None

    # The care engine's policy: the same quiet hours the planner chose the due time with.
    policy = cached(("care_policy", client.practice_id), lambda: policy_of(client.practice))
    local = now.astimezone(client.tz)
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return None
    quiet = (
        (start <= local.time() or local.time() < end)
        if start > end
        else start <= local.time() < end
    )
    if not quiet:
        return None
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    until = dt.datetime.combine(day, end, tzinfo=client.tz)
    return Verdict("reschedule", f"Quiet hours: held until {end:%H:%M} client time", until)
