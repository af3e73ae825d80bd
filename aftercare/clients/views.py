"""The clients pages: list, create, edit, archive, merge, the client page with its timeline, and
the owner's audit trail (filtered by client with the client picker)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.context_processors import csrf
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from aftercare import statements
from aftercare.clients import erasure, export, merge, services
from aftercare.clients.forms import ClientFilterForm, ClientForm, sole_practitioner
from aftercare.clients.models import Client, Purpose
from aftercare.clients.picker import (
    PICKER_NAME,
    ClientField,
    client_picker,
    picker_results,
)
from aftercare.clients.rows import list_rows
from aftercare.clients.selectors import (
    ClientFilters,
    client_for_page,
    client_page,
    consent_by_purpose,
    possible_duplicates,
)
from aftercare.clients.timeline import sections_for, timeline_for
from aftercare.phones import can_receive_texts
from aftercare.practice.access import Actor, get_scoped_or_404, ids_in, owner_required
from aftercare.practice.audit import about_client, index_pending, record_audit, record_reads
from aftercare.practice.audit_rows import COLUMNS as AUDIT_COLUMNS
from aftercare.practice.audit_rows import AuditRow, audit_rows
from aftercare.practice.models import AuditEvent, Membership
from aftercare.practice.pages import TIME_ZONES, UncountedPage, practice_page, redirect_back
from aftercare.row_urls import id_url

# The client form's time zone suggestions, the same ~600 on every add and edit page: written
# once, not option by option by the template engine on each (about a fifth of the edit page).
TIME_ZONE_OPTIONS = mark_safe("".join(f'<option value="{escape(name)}">' for name in TIME_ZONES))


def _client_form(request: HttpRequest, actor: Actor, **kwargs: Any) -> ClientForm:
    """The shared ClientForm, with labels and hints for people (the API uses field names)."""
    form = ClientForm(
        request.POST or None,
        practice=actor.practice,
        can_see_notes=actor.sees_private_notes,
        **kwargs,
    )
    for purpose, label in Purpose.choices:
        form.fields[f"consent_{purpose}"].label = f"Consent: {label}"
    form.fields["phone"].help_text = (
        f"Mobile or landline, as dialled in {actor.practice.country} or with the country code "
        "(+44 7911 123456); an extension may follow (ext. 12). SMS and WhatsApp need a mobile."
    )
    form.fields["time_zone"].widget.attrs["list"] = "time-zones"
    form.fields["language"].choices = [
        ("", "The practice's language"),
        *[choice for choice in form.fields["language"].choices if choice[0]],
    ]
    form.fields["primary_practitioner"].empty_label = "Nobody in particular"
    return form


def _filters_from(form: ClientFilterForm) -> ClientFilters:
    form.is_valid()  # bad values are dropped from cleaned_data and ignored
    data = form.cleaned_data
    practitioner = data.get("practitioner") or ""
    return ClientFilters(
        query=data.get("q") or "",
        tag=data.get("tag"),
        practitioner_id=int(practitioner) if practitioner.isdigit() else None,
        unassigned=practitioner == "none",
        archived=data.get("archived") == "1",
    )


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@practice_page
def client_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = ClientFilterForm(request.GET or None, practice=actor.practice)
    filters = _filters_from(form) if form.is_bound else ClientFilters()
    page = client_page(actor, filters, number=_page_number(request))
    kept = {key: value for key, value in request.GET.items() if key != "page" and value}
    record_reads(
        actor,
        Client,
        [client.pk for client in page.clients],
        f"{'Searched' if kept else 'Listed'} clients (page {page.number}, "
        f"{len(page.clients)} shown)",
    )

    def page_url(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    detail_url = id_url("clients-detail")

    return render(
        request,
        "clients/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": list_rows(page.clients, detail_url),
            "previous_url": page_url(page.number - 1) if page.has_previous else "",
            "next_url": page_url(page.number + 1) if page.has_next else "",
            "filtered": bool(kept),
        },
    )


@practice_page
def client_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = _client_form(
        request,
        actor,
        initial={
            "primary_practitioner": actor.user
            if actor.sees_private_notes
            else sole_practitioner(actor.practice)
        },
    )
    duplicates: list[tuple[Client, str]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Someone who may already be a client: say so before adding them twice, unless the
        # person checked and chose to add a new client anyway.
        if request.POST.get("confirm_new") != "1":
            duplicates = possible_duplicates(
                actor,
                email=data.get("email") or "",
                phone=data.get("phone") or "",
                given_name=data.get("given_name") or "",
                family_name=data.get("family_name") or "",
                birth_date=data.get("birth_date"),
            )
        if not duplicates:
            client = services.client_create(actor=actor, data=data, tag_names=data["tag_names"])
            messages.success(request, f"Added {client.full_name}.")
            merge_into = ids_in([request.POST.get("merge_into", "")])
            if merge_into and actor.sees_private_notes:
                # "The same person": the new details go to the merge page, set beside theirs.
                url = reverse("clients-merge", args=[merge_into[0]])
                return redirect(f"{url}?{urlencode({'other': client.pk})}")
            return redirect("clients-detail", pk=client.pk)
    return render(
        request,
        "clients/form.html",
        {
            "form": form,
            "client": None,
            "time_zone_options": TIME_ZONE_OPTIONS,
            "duplicates": [
                {"client": client, "why": why, "phone": client.phone_display}
                for client, why in duplicates
            ],
            "can_merge": actor.sees_private_notes,
        },
    )


@practice_page
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    services.client_record_view(actor=actor, client=client)
    # One CSRF token for the page and its sections' forms, as one template would have it: each
    # section's own would be made anew (a random mask) by its rendering's context processors.
    csrf_token = csrf(request)["csrf_token"]
    return render(
        request,
        "clients/detail.html",
        {
            "csrf_token": csrf_token,
            "client": client,
            "phone": client.phone_display,
            "phone_is_landline": bool(client.phone) and not can_receive_texts(client.phone),
            "consents": consent_by_purpose(client),
            "sees_private_notes": actor.sees_private_notes,
            "timeline": timeline_for(client, actor),
            "sections": [
                {
                    "title": section.title,
                    "html": render_to_string(
                        section.template_name,
                        {
                            **section.context,
                            "client": client,
                            "actor": actor,
                            "csrf_token": csrf_token,
                        },
                        request=request,
                    ),
                }
                for section in sections_for(client, actor)
            ],
            "here": request.get_full_path(),
        },
    )


@practice_page
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    # The form writes cleaned values into its instance; give it a copy so the service sees
    # the client as it was and can record exactly what changed.
    form = _client_form(request, actor, instance=copy.copy(client))
    if request.method == "POST" and form.is_valid():
        services.client_update(
            actor=actor,
            client=client,
            data=form.cleaned_data,
            tag_names=form.cleaned_data["tag_names"],
        )
        messages.success(request, f"Saved {client.full_name}.")
        return redirect("clients-detail", pk=client.pk)
    if request.method != "POST":
        services.client_record_view(actor=actor, client=client)
    return render(
        request,
        "clients/form.html",
        {"form": form, "client": client, "time_zone_options": TIME_ZONE_OPTIONS},
    )


@require_POST
@practice_page
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive (``archived=1``, the default) or restore (``archived=0``) a client."""
    actor = request.actor  # type: ignore[attr-defined]
    client = client_for_page(actor, pk)
    archived = request.POST.get("archived", "1") != "0"
    if client.archived != archived:
        services.client_set_archived(actor=actor, client=client, archived=archived)
    messages.success(
        request,
        f"Archived {client.full_name}." if archived else f"Restored {client.full_name}.",
    )
    return redirect_back(request, reverse("clients-detail", args=[client.pk]))


@owner_required
def client_export_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    """Everything held about one client, as JSON or CSV (owner only; audited)."""
    actor = request.actor  # type: ignore[attr-defined]
    if extension not in {"json", "csv"}:
        raise Http404("Export as json or csv")
    client = get_scoped_or_404(Client.objects.select_related("practice"), actor, pk=pk)
    data = export.client_export(client)
    record_audit(actor, AuditEvent.Action.EXPORT, client, summary=f"Exported as {extension}")
    body = export.export_json(data) if extension == "json" else export.export_csv(data)
    content_type = "application/json" if extension == "json" else "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    name = export.export_file_name(client, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@owner_required
def client_erase_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase a client for good, after the owner types the client's name to confirm."""
    actor = request.actor  # type: ignore[attr-defined]
    client = get_scoped_or_404(Client.objects.all(), actor, pk=pk)
    error = ""
    if request.method == "POST":
        typed = " ".join(request.POST.get("confirm_name", "").split())
        if typed.casefold() != " ".join(client.full_name.split()).casefold():
            error = f"Type the client's name exactly as shown, {client.full_name}, to erase them."
        else:
            erasure.client_erase(actor=actor, client=client)
            messages.success(request, "The client was erased. Nothing about them is left.")
            return redirect("clients-list")
    return render(request, "clients/erase.html", {"client": client, "error": error})


@require_GET
@practice_page
def client_pick(request: HttpRequest) -> HttpResponse:
    """The client picker's results as people type (an HTML fragment for htmx).

    ``field`` names the picker; ``<field>_q`` is the search, ``<field>`` the ticked clients,
    ``<field>_listed`` the ones the page lists already, ``<field>_single`` a one-client picker.
    """
    name = request.GET.get("field", "")
    if not PICKER_NAME.fullmatch(name):
        return HttpResponseBadRequest("Unknown client picker.")
    picker = picker_results(
        request.actor,  # type: ignore[attr-defined]
        name=name,
        query=request.GET.get(f"{name}_q", "")[:200],
        chosen_ids=ids_in(request.GET.getlist(name)),
        listed_ids=ids_in(request.GET.getlist(f"{name}_listed")),
        multiple=request.GET.get(f"{name}_single") != "1",
    )
    if picker.query:
        record_reads(
            request.actor,  # type: ignore[attr-defined]
            Client,
            [row.client.pk for row in picker.results],
            f"Searched clients to pick ({len(picker.results)} shown)",
        )
    return render(request, "clients/picker_results.html", {"picker": picker})


@practice_page
def client_merge_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another record into this client's: choose it with the picker, compare, confirm.

    Owners and practitioners only (an assistant, who may not read private notes, gets a 404:
    the merge joins them). GET ``?other=ID`` shows both side by side; POST merges.
    """
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.sees_private_notes:
        raise Http404("Only owners and practitioners merge clients.")
    kept = client_for_page(actor, pk)
    data = request.POST if request.method == "POST" else request.GET
    field = ClientField(practice=actor.practice, required=False)
    error = ""
    other: Client | None = None
    try:
        other_pk = field.clean(data.get("other"))
    except forms.ValidationError as invalid:
        other_pk, error = None, " ".join(invalid.messages)
    if other_pk == kept.pk:
        other_pk, error = None, "Choose another client: this is the record you are on."
    searching = bool(data.get("other_search"))
    if other_pk is not None and not searching:
        other = client_for_page(actor, other_pk)
    if other is None:
        picker = client_picker(
            actor,
            name="other",
            label="The other record",
            chosen_ids=[other_pk] if other_pk else [],
            query=data.get("other_q", "")[:200],
            suggestions=possible_duplicates(
                actor,
                email=kept.email,
                phone=kept.phone,
                given_name=kept.given_name,
                family_name=kept.family_name,
                birth_date=kept.birth_date,
                exclude=kept.pk,
            ),
            multiple=False,
            errors=[error] if error else [],
        )
        return render(request, "clients/merge_choose.html", {"client": kept, "picker": picker})
    chosen = {
        name: data.get(f"take_{name}", "")
        for name in merge.FIELD_NAMES
        if data.get(f"take_{name}") in {"kept", "other"}
    }
    if request.method == "POST":
        other_name = other.full_name
        merge.client_merge(actor=actor, kept=kept, other=other, choices=chosen)
        messages.success(request, f"Merged the record of {other_name} into {kept.full_name}'s.")
        return redirect("clients-detail", pk=kept.pk)
    record_reads(actor, Client, [kept.pk, other.pk], "Compared two clients to merge them")
    return render(
        request,
        "clients/merge.html",
        {
            "client": kept,
            "other": other,
            "fields": merge.field_choices(kept, other, chosen),
            "counts": merge.row_counts(kept, other),
            "tags": sorted({tag.name for tag in [*kept.tags.all(), *other.tags.all()]}),
            "notes_joined": bool(kept.private_notes.strip() and other.private_notes.strip()),
        },
    )


AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage(UncountedPage):
    """One page of the trail, newest first. No count of the matching entries (at a hundred
    thousand it was most of the page's time): there is an older page when one more entry was
    found, as in the clients list."""

    rows: list[AuditRow]
    number: int
    has_next: bool

    @classmethod
    def of(cls, values: dict[str, Any], number: int) -> AuditPage:
        """Page ``number`` of the practice's events matching ``values`` (``practice`` and any
        of ``user``, ``client``, ``action``, ``since`` and ``until``), newest first, through a
        statement built once per filters and page."""
        start = (number - 1) * AUDIT_PAGE_SIZE
        if "client" in values:
            index_pending(values["practice"])  # (the rows appended since the tick's last run)

        def build(**given: Any) -> QuerySet[AuditEvent]:
            events = AuditEvent.objects.filter(practice_id=given["practice"]).order_by("-seq")
            if "user" in given:
                events = events.filter(user_id=given["user"])
            if "client" in given:
                events = about_client(events, given["practice"], given["client"])
            if "action" in given:
                events = events.filter(action=given["action"])
            if "since" in given:
                events = events.filter(at__gte=given["since"])
            if "until" in given:
                events = events.filter(at__lt=given["until"])
            return events.values_list(*AUDIT_COLUMNS)[start : start + AUDIT_PAGE_SIZE + 1]

        found = statements.rows(("audit: a page", tuple(sorted(values)), number), build, **values)
        rows = [AuditRow(*row) for row in found]
        return cls(rows[:AUDIT_PAGE_SIZE], number, len(rows) > AUDIT_PAGE_SIZE)


def _audit_day(request: HttpRequest, name: str, label: str) -> dt.date | None:
    """The ``?from=`` or ``?to=`` day; a bad one is named in a message and ignored."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        messages.warning(request, f"“{raw[:20]}” is not a date ({label}): it was ignored.")
        return None


@owner_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The owner's view of the audit trail, newest first: filtered by member, client (with the
    client picker), action and days, 50 entries a page, in a fixed number of queries."""
    actor = request.actor  # type: ignore[attr-defined]
    tz = actor.practice.tz
    members = statements.objects(
        "audit: the practice's members",
        lambda practice: Membership.objects.filter(practice_id=practice).order_by(
            "user__full_name", "user__email"
        ),
        model=Membership,
        related=("user",),
        practice=actor.practice.pk,
    )
    user = request.GET.get("user", "").strip()
    action = request.GET.get("action", "").strip()
    client_ids = ids_in([request.GET.get("client", "")])[:1]
    since, until = _audit_day(request, "from", "From"), _audit_day(request, "to", "To")
    if since and until and since > until:
        messages.warning(request, "The first day was after the last; they were swapped.")
        since, until = until, since
    values: dict[str, Any] = {"practice": actor.practice.pk}
    for user_id in ids_in([user])[:1]:  # (past the database's integers, none: it names nobody)
        values["user"] = user_id
    if client_ids:
        values["client"] = client_ids[0]
    if action in AuditEvent.Action.values:
        values["action"] = action
    if since:
        values["since"] = dt.datetime.combine(since, dt.time(0), tzinfo=tz)
    if until:
        next_day = until + dt.timedelta(days=1)
        values["until"] = dt.datetime.combine(next_day, dt.time(0), tzinfo=tz)
    page = AuditPage.of(values, _page_number(request))
    names = {member.user_id: member.user.display_name for member in members}
    query = request.GET.get("client_q", "")[:200]
    picker = client_picker(
        actor,
        name="client",
        label="Client",
        chosen_ids=client_ids,
        query=query,
        multiple=False,
        help_text="Only the entries about this client.",
    )
    if picker.searched:
        record_reads(
            actor,
            Client,
            [row.client.pk for row in picker.results],
            f"Searched clients to pick ({len(picker.results)} shown)",
        )
    chosen = {
        "user": user,
        "action": action,
        "client": str(client_ids[0]) if client_ids else "",
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
    }
    kept = {key: value for key, value in chosen.items() if value}
    return render(
        request,
        "practice/audit.html",
        {
            "page": page,
            "rows": audit_rows(page.rows, names, query=bool(kept)),
            "members": members,
            "actions": AuditEvent.Action.choices,
            "chosen": chosen,
            "picker": picker,
            "query": urlencode(kept),
            "without_client": urlencode({k: v for k, v in kept.items() if k != "client"}),
        },
    )
