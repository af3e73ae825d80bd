"""``aftercare token create|revoke``: API tokens for integrations and scripts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.practice.access import Actor
from aftercare.practice.management.commands.practice import checked_email, usage_error
from aftercare.practice.models import ApiToken, Membership, User
from aftercare.practice.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Create or revoke API tokens: `aftercare token create --user EMAIL`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="Print a new API token (shown once).")
        create.add_argument("--user", required=True, help="Email of the token's user.")
        create.add_argument(
            "--practice",
            type=int,
            default=None,
            help="Practice id, needed when the user belongs to several practices.",
        )
        create.add_argument("--name", default="", help="What the token is for, e.g. 'booking'.")
        create.add_argument(
            "--json", action="store_true", help='Print {"token": …} and nothing else.'
        )
        revoke = actions.add_parser("revoke", help="Revoke a token by its prefix (act_…).")
        revoke.add_argument("prefix", help="The token's prefix as shown when listed, or the token.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self.create(options)
        else:
            self.revoke(options["prefix"].strip())

    def create(self, options: dict[str, Any]) -> None:
        email = checked_email("--user", options["user"])
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise usage_error("--user", f"no active user with the email {email!r}")
        memberships = list(
            Membership.objects.filter(user=user)
            .select_related("practice")
            .order_by("practice__name", "id")
        )
        if options["practice"] is not None:
            memberships = [m for m in memberships if m.practice_id == options["practice"]]
            if not memberships:
                raise usage_error(
                    "--practice", f"{email} is not a member of practice #{options['practice']}"
                )
        if not memberships:
            raise usage_error("--user", f"{email} is not a member of any practice")
        if len(memberships) > 1:
            choices = ", ".join(f"{m.practice_id} ({m.practice.name})" for m in memberships)
            raise usage_error("--practice", f"{email} belongs to several practices: {choices}")
        membership = memberships[0]
        actor = Actor(user=user, practice=membership.practice, membership=membership, via="cli")
        token, raw = token_create(actor=actor, user=user, name=options["name"].strip())
        if options["json"]:
            self.stdout.write(json.dumps({"token": raw}))
            return
        self.stdout.write(
            f"API token for {email} in {membership.practice.name} (shown once, keep it secret):"
        )
        self.stdout.write(raw)
        self.stdout.write(f"Revoke it with: aftercare token revoke {token.prefix}")

    def revoke(self, prefix: str) -> None:
        if not prefix.startswith(ApiToken.PREFIX) or len(prefix) < len(ApiToken.PREFIX) + 4:
            raise usage_error(
                "PREFIX", f"expected a token prefix such as act_AbC123, got {prefix!r}"
            )
        live = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user", "practice")
        if len(prefix) > 10:
            # The whole token was given: match it exactly, not just its first characters.
            tokens = list(live.filter(digest=ApiToken.digest_of(prefix)))
        else:
            tokens = list(live.filter(prefix__startswith=prefix)[:2])
        if not tokens:
            raise CommandError(f"No live API token starts with {prefix}.")
        if len(tokens) > 1:
            raise CommandError(f"Several live tokens start with {prefix}; give more characters.")
        token = tokens[0]
        # Whoever runs the command at the server's console is not a known user.
        actor = Actor(user=None, practice=token.practice, via="cli")
        token_revoke(actor=actor, token=token)
        self.stdout.write(f"Revoked API token {token.prefix}… of {token.user.email}.")
