"""``aftercare questionnaire add FILE --practice P`` / ``list --practice P``: a practice's own
licensed questionnaire, added as data (the JSON format of the bundled PHQ-9, GAD-7 and WHO-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.measures.questionnaires import QuestionnaireError, load_questionnaire_text
from aftercare.measures.selectors import questionnaires_for
from aftercare.measures.services import questionnaire_add
from aftercare.practice.models import Practice


class Command(BaseCommand):
    help = "Add a practice's own licensed questionnaire (a JSON file), or list a practice's."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="check a questionnaire file and add it")
        add.add_argument("file", type=Path, help="the questionnaire as JSON (docs/measures.md)")
        add.add_argument("--practice", type=int, required=True, help="the practice's id")
        listing = actions.add_parser("list", help="the questionnaires a practice can send")
        listing.add_argument("--practice", type=int, required=True, help="the practice's id")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(pk=options["practice"]).first()
        if practice is None:
            raise CommandError(f"No practice #{options['practice']}.")
        if options["action"] == "list":
            for key, questionnaire in questionnaires_for(practice).items():
                origin = "bundled" if questionnaire.built_in else "the practice's own"
                languages = ", ".join(questionnaire.languages)
                self.stdout.write(f"{key}  {questionnaire.name}  ({origin}; {languages})")
            return
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        try:
            questionnaire = load_questionnaire_text(text)
            questionnaire_add(practice=practice, questionnaire=questionnaire, text=text)
        except QuestionnaireError as error:
            raise CommandError(f"{path}: {error}") from error
        self.stdout.write(
            f"Added {questionnaire.name} ({questionnaire.key}) to {practice.name}: send it by "
            f"hand from a client's page, or by a care rule with the template "
            f"measure_{questionnaire.key}."
        )
