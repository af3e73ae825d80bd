"""Home, the practice switcher, settings, API tokens and the page for users without a practice."""

from __future__ import annotations

import copy
from base64 import b32encode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import (
    url_has_allowed_host_and_scheme,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from aftercare import clock
from aftercare.practice import services, two_factor
from aftercare.practice import sign_in as sign_in_rules
from aftercare.practice.access import (
    SESSION_KEY,
    Actor,
    get_scoped_or_404,
    ids_in,
    memberships_of,
    owner_required,
    practice_required,
    scoped,
)
from aftercare.practice.forms import InviteForm, PracticeForm, TokenForm
from aftercare.practice.models import ApiToken, AuditEvent, Membership, Role, User
from aftercare.practice.pages import add_service_errors, practice_page


@practice_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("queue-today")


@login_required
def no_practice(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/no_practice.html")


@require_POST
@practice_required
def switch_practice(request: HttpRequest) -> HttpResponse:
    try:
        practice_id = int(request.POST.get("practice_id", ""))
    except ValueError as error:
        raise Http404("Unknown practice") from error
    if not any(m.practice_id == practice_id for m in memberships_of(request.user)):
        raise Http404("Unknown practice")
    request.session[SESSION_KEY] = practice_id
    return redirect("home")


@practice_page
def practice_settings(request: HttpRequest) -> HttpResponse:
    """The practice's details (the owner edits them) and its members (read-only)."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST" and not actor.is_owner:
        raise Http404("Only the practice owner can change the settings.")
    practice = actor.practice
    form = (
        PracticeForm(request.POST or None, instance=copy.copy(practice)) if actor.is_owner else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        services.practice_update(actor=actor, practice=practice, data=form.cleaned_data)
        messages.success(request, "Saved the practice settings.")
        return redirect("practice-settings")
    members = (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )
    return render(
        request,
        "practice/settings.html",
        {"form": form, "practice": practice, "members": members},
    )


def _visible_tokens(actor: Actor) -> QuerySet[ApiToken]:
    """The owner sees every member's tokens in the practice; others only their own."""
    tokens = scoped(ApiToken, actor).select_related("user")
    return tokens if actor.is_owner else tokens.filter(user=actor.user)


@never_cache
@practice_page
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Create an API token (its value is shown once, right here) and list the tokens."""
    actor = request.actor  # type: ignore[attr-defined]
    form = TokenForm(request.POST or None)
    raw_token = ""
    if request.method == "POST" and form.is_valid():
        _token, raw_token = services.token_create(
            actor=actor, user=actor.user, name=form.cleaned_data["name"]
        )
        form = TokenForm()
    tokens = _visible_tokens(actor).order_by("revoked_at", "-created_at")
    return render(
        request,
        "practice/tokens.html",
        {"form": form, "raw_token": raw_token, "tokens": tokens},
    )


@require_POST
@practice_page
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    token = get_scoped_or_404(_visible_tokens(actor), actor, pk=pk)
    if token.revoked_at is None:
        services.token_revoke(actor=actor, token=token)
    messages.success(request, f"Revoked the token {token.prefix}… ({token.name or 'no name'}).")
    return redirect("practice-tokens")


# -- sign-in, the second factor and the account page -------------------------------------

PENDING = "pending_sign_in"
PENDING_SECONDS = 300


@sensitive_post_parameters()
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Email and password (django-axes and the per-account limit first), then a code if the
    user has a second factor; only then is the user signed in (with a new session key)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        user = sign_in_rules.find_user(request.POST.get("username", ""))
        until = sign_in_rules.locked_until(user) if user else None
        if until is not None:
            sign_in_rules.record_sign_in_event(
                request, user, AuditEvent.Action.SIGN_IN_FAILED, "Refused: the account is locked"
            )
            return sign_in_rules.account_locked_response(request, until)
        if form.is_valid():
            user = form.get_user()
            if two_factor.is_on(user):
                request.session.cycle_key()
                request.session[PENDING] = {
                    "user": user.pk,
                    "backend": user.backend,
                    "at": clock.now().timestamp(),
                    "next": next_url,
                }
                return redirect("sign-in-code")
            auth.login(request, user)
            return _after_sign_in(request, next_url)
    return render(request, "practice/sign_in.html", {"form": form, "next": next_url})


@sensitive_post_parameters()
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or one recovery code."""
    pending = request.session.get(PENDING)
    if not pending or clock.now().timestamp() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, "Please sign in again.")
        return redirect("login")
    user = User.objects.get(pk=pending["user"])
    error = ""
    if request.method == "POST":
        until = sign_in_rules.locked_until(user)
        if until is not None:
            return sign_in_rules.account_locked_response(request, until)
        device = two_factor.check_code(user, request.POST.get("code", ""))
        if device is None:
            sign_in_rules.record_failure(request, user, "Wrong second-factor code")
            error = "That code did not match. Codes change every 30 seconds; try the newest."
        else:
            del request.session[PENDING]
            user.backend = pending["backend"]
            auth.login(request, user)
            otp_login(request, device)
            return _after_sign_in(request, pending["next"])
    return render(request, "practice/sign_in_code.html", {"error": error})


def _after_sign_in(request: HttpRequest, next_url: str) -> HttpResponse:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("home")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own page: second factor, recovery codes, sign out everywhere."""
    user = request.user
    return render(
        request,
        "practice/account.html",
        {
            "two_factor_on": two_factor.is_on(user),
            "two_factor_required": two_factor.required_for(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
        },
    )


@never_cache
@login_required
def account_two_factor(request: HttpRequest) -> HttpResponse:
    """Turn the authenticator app on (scan, type a first code, keep the recovery codes),
    prove it for this session when the practice requires it, or turn it off."""
    user = request.user
    action = request.POST.get("action", "")
    if two_factor.is_on(user):
        if request.method == "POST" and action == "verify":
            device = two_factor.check_code(user, request.POST.get("code", ""))
            if device is None:
                sign_in_rules.record_failure(request, user, "Wrong second-factor code")
                messages.error(request, "That code did not match.")
            else:
                otp_login(request, device)
                return redirect("home")
        elif request.method == "POST" and not user.is_verified():
            # Only a session that proved the second factor may replace or remove it.
            messages.error(request, "Type a code from your app first.")
        elif request.method == "POST" and action == "recovery-codes":
            codes = two_factor.new_recovery_codes(user)
            _audit_own(request, "New recovery codes made")
            return render(request, "practice/recovery_codes.html", {"codes": codes})
        elif request.method == "POST" and action == "off":
            if two_factor.required_for(user):
                messages.error(request, "Your practice requires a second factor; it stays on.")
            else:
                two_factor.turn_off(user)
                _audit_own(request, "Second factor turned off")
                messages.success(request, "The second factor is off.")
                return redirect("account")
        return render(
            request,
            "practice/two_factor.html",
            {"on": True, "verified": user.is_verified(), "required": two_factor.required_for(user)},
        )
    device = two_factor.pending_app_device(user)
    error = ""
    if request.method == "POST" and action == "confirm":
        codes = two_factor.confirm_app_device(user, device, request.POST.get("code", ""))
        if codes is not None:
            otp_login(request, device)
            _audit_own(request, "Second factor turned on")
            return render(request, "practice/recovery_codes.html", {"codes": codes})
        error = "That code did not match. Check the phone's time and type the newest code."
    return render(
        request,
        "practice/two_factor.html",
        {
            "on": False,
            "qr_code": mark_safe(two_factor.qr_code_svg(device)),
            "secret": b32encode(device.bin_key).decode(),
            "error": error,
            "required": two_factor.required_for(user),
        },
    )


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this user, on every device, this one included."""
    user = request.user
    user.sessions_revoked_at = clock.now()
    user.save(update_fields=["sessions_revoked_at"])
    _audit_own(request, "Signed out everywhere")
    auth.logout(request)
    messages.success(request, "You were signed out on every device.")
    return redirect("login")


def _audit_own(request: HttpRequest, summary: str) -> None:
    sign_in_rules.record_sign_in_event(request, request.user, AuditEvent.Action.CHANGE, summary)


# -- the team: invite, change roles, remove; a member's own password -------------------------


def _team(actor: Actor) -> list[Membership]:
    return list(
        Membership.objects.filter(practice=actor.practice)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )


def _send_invitation(request: HttpRequest, membership: Membership, needs_password: bool) -> str:
    """Email the invitation (staff mail, like a password reset); returns the link sent."""
    user = membership.user
    practice = membership.practice
    inviter = request.user.display_name  # type: ignore[union-attr]
    if needs_password:
        link = request.build_absolute_uri(
            reverse(
                "practice-join",
                args=[
                    urlsafe_base64_encode(force_bytes(user.pk)),
                    services.invite_tokens.make_token(user),
                ],
            )
        )
        days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
        body = (
            f"{inviter} invited you to {practice.name} on Aftercare as "
            f"{membership.get_role_display().lower()}.\n\n"
            f"Choose your password here (the link works once, for {days} days):\n{link}\n"
        )
    else:
        link = request.build_absolute_uri(reverse("login"))
        body = (
            f"{inviter} added you to {practice.name} on Aftercare as "
            f"{membership.get_role_display().lower()}.\n\n"
            f"Sign in as usual and choose the practice at the top of the page:\n{link}\n"
        )
    send_mail(f"Join {practice.name} on Aftercare", body, None, [user.email])
    return link


@owner_required
def team(request: HttpRequest) -> HttpResponse:
    """The owner's team page: invite by email, change roles, remove a member."""
    actor = request.actor  # type: ignore[attr-defined]
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, needs_password = services.member_invite(
                actor=actor,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _send_invitation(request, membership, needs_password)
            messages.success(
                request,
                f"Invitation sent to {membership.user.email}."
                if needs_password
                else f"{membership.user.email} already has an account: they can sign in now.",
            )
            return redirect("practice-team")
    members = _team(actor)
    return render(
        request,
        "practice/team.html",
        {
            "form": form,
            "members": members,
            "roles": Role.choices,
            "successors": [m.user for m in members if m.role != Role.ASSISTANT],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@owner_required
def team_role(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    membership = get_scoped_or_404(Membership.objects.select_related("user"), actor, pk=pk)
    try:
        services.member_set_role(
            actor=actor, membership=membership, role=request.POST.get("role", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{membership.user.display_name} is now {membership.get_role_display().lower()}.",
        )
    return redirect("practice-team")


@require_POST
@owner_required
def team_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    membership = get_scoped_or_404(Membership.objects.select_related("user"), actor, pk=pk)
    raw = request.POST.get("successor", "")
    successor = None
    if raw:
        successor = (
            Membership.objects.filter(practice=actor.practice, user_id__in=ids_in([raw])[:1])
            .select_related("user")
            .first()
        )
        if successor is None:
            messages.error(request, "Choose another practitioner of this practice, or nobody.")
            return redirect("practice-team")
    try:
        services.member_remove(
            actor=actor, membership=membership, successor=successor.user if successor else None
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.display_name} left the practice.")
    return redirect("practice-team")


@sensitive_post_parameters()
@never_cache
def join(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """An invitation link: choose a password (once), then you are signed in."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not user.is_active or not services.invite_tokens.check_token(user, token):
        return render(request, "practice/join.html", {"valid": False}, status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        user.backend = "django.contrib.auth.backends.ModelBackend"
        auth.login(request, user)
        _audit_own(request, "Accepted the invitation and chose a password")
        messages.success(request, "Welcome! Your password is set.")
        return redirect("home")
    memberships = Membership.objects.filter(user=user).select_related("practice")
    return render(
        request,
        "practice/join.html",
        {"valid": True, "form": form, "invited": user, "memberships": memberships},
    )


@sensitive_post_parameters()
@never_cache
@login_required
def account_password(request: HttpRequest) -> HttpResponse:
    """Change your own password (the current one first); other sessions stay signed in."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        auth.update_session_auth_hash(request, form.user)
        _audit_own(request, "Changed the password")
        messages.success(request, "Your password is changed.")
        return redirect("account")
    return render(request, "practice/password_change.html", {"form": form})
