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
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from aftercare.care import services
from aftercare.care.forms import CarePolicyForm, CareRuleForm, action_words
from aftercare.care.models import CareRule, TouchpointStatus
from aftercare.care.triggers import TRIGGERS
from aftercare.practice.access import get_scoped_or_404, practice_required, scoped
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


def describe(rule: CareRule) -> str:
    """The rule in one sentence: "3 days after a first visit, at 09:00: send check_in"."""
    info = TRIGGERS.get(rule.trigger)
    what = info.label if info else f"{rule.trigger} (not installed)"
    options = rule.trigger_options or {}
    if rule.trigger == "appointment_attended" and "first_visit" in options:
        what += " (first visit only)" if options["first_visit"] else " (not the first visit)"
    if options.get("kind"):
        what += f" of kind {options['kind']}"
    if rule.trigger == "recall":
        what = f"No visit for {options.get('weeks', 8)} weeks and none booked"
    if options.get("tag"):
        what += f" ({options['tag']})"
    days = rule.offset_days
    when = (
        "on the day"
        if days == 0
        else f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'after' if days > 0 else 'before'}"
    )
    shares = f"; shares “{rule.resource.title}”" if rule.resource_id and rule.resource else ""
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
    rules = (
        scoped(CareRule, actor)
        .select_related("resource")
        .annotate(
            planned=Count("touchpoints", filter=Q(touchpoints__status=TouchpointStatus.PLANNED))
        )
    )
    return render(
        request,
        "care/rules.html",
        {
            "rules": [(rule, describe(rule), action_words(rule)) for rule in rules],
            "policy_form": policy_form,
            "can_edit": can_edit,
        },
        status=400 if policy_form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@rule_editor_required
def care_rules_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    form = CareRuleForm(request.POST or None, initial={"enabled": True}, practice=actor.practice)
    if request.method == "POST" and form.is_valid():
        rule = services.care_rule_create(actor=actor, data=form.cleaned_data)
        messages.success(request, f"Care rule “{rule.name}” created; plans are updated.")
        return redirect("care-rules")
    return render(
        request,
        "care/rule_form.html",
        {"form": form, "rule": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@rule_editor_required
def care_rules_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rule = get_scoped_or_404(CareRule.objects.all(), actor, pk=pk)
    # A copy: the form writes into its instance, and the service must see what changed.
    form = CareRuleForm(request.POST or None, instance=copy.copy(rule), practice=actor.practice)
    if request.method == "POST" and form.is_valid():
        services.care_rule_update(actor=actor, rule=rule, data=form.cleaned_data)
        messages.success(request, f"Care rule “{rule.name}” saved; plans are updated.")
        return redirect("care-rules")
    return render(
        request,
        "care/rule_form.html",
        {"form": form, "rule": rule},
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
