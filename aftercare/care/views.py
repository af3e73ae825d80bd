"""Care rules and the care policy: list, create, edit, switch on/off, delete.

Owners and practitioners change rules; assistants may read them. Views parse input, call one
service and redirect.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from aftercare import statements
from aftercare.care import services
from aftercare.care.catalogue import message_choices
from aftercare.care.forms import (
    CarePolicyForm,
    CareRuleForm,
    action_words,
    multiple_choice_fields,
    option_words,
    visit_kind_names,
)
from aftercare.care.models import CareRule, TouchpointStatus
from aftercare.care.rule_markup import rule_fieldsets, rule_rows
from aftercare.care.triggers import TRIGGERS
from aftercare.practice.access import get_scoped_or_404, practice_required
from aftercare.practice.models import Role


def rule_editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only owners and practitioners change care rules (assistants get a 404)."""

    @functools.wraps(view)
    @practice_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = request.actor.membership  # type: ignore[attr-defined]
        if membership is None or membership.role not in {Role.OWNER, Role.PRACTITIONER}:
            raise Http404("Only owners and practitioners change care rules.")
        return view(request, *args, **kwargs)

    return wrapper


def describe(rule: CareRule, visit_kinds: dict[str, str] | None = None) -> str:
    """The rule in one sentence: "An appointment was attended (first visit only): 3 days after,
    at 09:00"."""
    info = TRIGGERS.get(rule.trigger)
    what = info.label if info else f"{rule.trigger} (not installed)"
    options = rule.trigger_options or {}
    if rule.trigger == "appointment_attended" and "first_visit" in options:
        what += " (first visit only)" if options["first_visit"] else " (not the first visit)"
    if options.get("kind"):
        what += f" of the kind {option_words('kind', options['kind'], visit_kinds=visit_kinds)[1]}"
    if rule.trigger == "recall":
        weeks = options.get("weeks", 8)
        what = f"No visit for {weeks} week{'s' if weeks != 1 else ''} and none booked"
    if options.get("tag"):
        what += f" ({options['tag']})"
    shares = f"; shares “{rule.resource.title}”" if rule.resource_id and rule.resource else ""
    if info is not None and not info.timed:
        hours = options.get("hours")
        when = f"{hours} hour{'s' if hours != 1 else ''} before" if hours else "at once"
        return f"{what}: {when}{shares}"
    days = rule.offset_days
    when = (
        "on the day"
        if days == 0
        else f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'after' if days > 0 else 'before'}"
    )
    return f"{what}: {when}, at {rule.local_time:%H:%M}{shares}"


@require_http_methods(["GET", "POST"])
@practice_required
def care_rules(request: HttpRequest) -> HttpResponse:
    """Every care rule of the practice with what it has planned, and the quiet hours and budget."""
    actor = request.actor  # type: ignore[attr-defined]
    can_edit = actor.membership is not None and actor.membership.role in {
        Role.OWNER,
        Role.PRACTITIONER,
    }
    policy = services.policy_of(actor.practice)
    policy_form = CarePolicyForm(instance=policy)
    if request.method == "POST":
        if not can_edit:
            raise Http404("Only owners and practitioners change the care policy.")
        policy_form = CarePolicyForm(request.POST, instance=services.policy_of(actor.practice))
        if policy_form.is_valid():
            services.care_policy_update(actor=actor, data=policy_form.cleaned_data)
            messages.success(request, "Quiet hours and contact budget saved; plans are updated.")
            return redirect("care-rules")
    rules = listed_rules(actor.practice.pk)
    kinds = visit_kind_names(actor.practice)
    names = {choice.key: choice.name for choice in message_choices(actor.practice)}
    return render(
        request,
        "care/rules.html",
        {
            "rows": rule_rows(
                [(rule, describe(rule, kinds), action_words(rule, names)) for rule in rules],
                can_edit=can_edit,
                csrf_token=get_token(request),
            ),
            "policy_form": policy_form,
            "can_edit": can_edit,
        },
        status=400 if policy_form.errors else 200,
    )


# What the list reads of a rule (the rest deferred, as ``only`` would), then its planned count.
_LISTED_FIELDS = (
    "id",
    "name",
    "trigger",
    "trigger_options",
    "offset_days",
    "local_time",
    "action",
    "template_key",
    "purpose",
    "task_kind",
    "estimated_minutes",
    "value",
    "enabled",
    "resource_id",
    "resource__title",
)


def listed_rules(practice_id: int) -> list[CareRule]:
    """The practice's rules in their order, each with its resource's title and its planned
    touchpoints counted (``planned``); one query, built once."""
    found = statements.rows(
        "care: the rules list",
        lambda practice: (
            CareRule.objects.filter(practice_id=practice)
            .annotate(
                planned=Count("touchpoints", filter=Q(touchpoints__status=TouchpointStatus.PLANNED))
            )
            .values_list(*_LISTED_FIELDS, "planned")
        ),
        practice=practice_id,
    )
    rules = statements.instances(CareRule, _LISTED_FIELDS, found)
    for rule, row in zip(rules, found, strict=True):
        rule.planned = row[-1]  # type: ignore[attr-defined]
    return rules


def rule_form(
    request: HttpRequest, *, practice: Any, instance: CareRule | None = None
) -> tuple[CareRuleForm, bool]:
    """The rule form for this request, and whether to save it.

    "Show its settings" (the form without JavaScript after choosing a trigger) sends the form
    back to be shown again with the chosen trigger's fields, as typed, without checking it.
    """
    multiple = multiple_choice_fields()
    extra = {"instance": instance} if instance is not None else {}
    if request.method == "POST" and request.POST.get("show"):
        initial = {
            name: values if len(values) > 1 or name in multiple else values[0]
            for name, values in request.POST.lists()
            if name not in {"csrfmiddlewaretoken", "show"}
        }
        initial.setdefault("enabled", False)
        return CareRuleForm(initial=initial, practice=practice, **extra), False
    form = CareRuleForm(
        request.POST or None,
        initial={} if instance is not None else {"enabled": True},
        practice=practice,
        **extra,
    )
    return form, request.method == "POST"


@require_http_methods(["GET", "POST"])
@rule_editor_required
def care_rules_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form, posted = rule_form(request, practice=actor.practice)
    if posted and form.is_valid():
        rule = services.care_rule_create(actor=actor, data=form.cleaned_data)
        messages.success(request, f"Care rule “{rule.name}” created; plans are updated.")
        return redirect("care-rules")
    return render(
        request,
        "care/rule_form.html",
        {"form": form, "rule": None, "fieldsets": rule_fieldsets(form)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@rule_editor_required
def care_rules_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rule = get_scoped_or_404(CareRule.objects.all(), actor, pk=pk)
    # A copy: the form writes into its instance, and the service must see what changed.
    form, posted = rule_form(request, practice=actor.practice, instance=copy.copy(rule))
    if posted and form.is_valid():
        services.care_rule_update(actor=actor, rule=rule, data=form.cleaned_data)
        messages.success(request, f"Care rule “{rule.name}” saved; plans are updated.")
        return redirect("care-rules")
    return render(
        request,
        "care/rule_form.html",
        {"form": form, "rule": rule, "fieldsets": rule_fieldsets(form)},
        status=400 if form.errors else 200,
    )


@require_POST
@rule_editor_required
def care_rules_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rule = get_scoped_or_404(CareRule.objects.all(), actor, pk=pk)
    services.care_rule_set_enabled(actor=actor, rule=rule, enabled=not rule.enabled)
    state = "on" if rule.enabled else "off"
    messages.success(request, f"Care rule “{rule.name}” is {state}.")
    return redirect("care-rules")


@require_POST
@rule_editor_required
def care_rules_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rule = get_scoped_or_404(CareRule.objects.all(), actor, pk=pk)
    name = rule.name
    services.care_rule_delete(actor=actor, rule=rule)
    messages.success(request, f"Care rule “{name}” deleted; its open touchpoints are cancelled.")
    return redirect("care-rules")
