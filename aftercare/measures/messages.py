"""The message that carries a questionnaire's link, and the preparer that makes the measure.

One template per questionnaire (``measure_phq9``, ``measure_gad7``, ``measure_who5``), so a care
rule names the questionnaire by its template; the words (``services.LINK_TEXT``) never name the
questionnaire or what it is about.
"""

from __future__ import annotations

from typing import Any

from aftercare.care.models import Touchpoint
from aftercare.care.preparers import SkipTouchpoint
from aftercare.measures.questionnaires import built_in_questionnaires
from aftercare.measures.selectors import questionnaires_for
from aftercare.measures.services import (
    LINK_SMS,
    LINK_SUBJECT,
    LINK_TEXT,
    TEMPLATE_PREFIX,
    link_details,
    measure_create,
    template_key_for,
)
from aftercare.messaging.templating import DefaultTemplate, register_default_template


def register_templates() -> None:
    for questionnaire in built_in_questionnaires().values():
        register_default_template(
            DefaultTemplate(
                key=template_key_for(questionnaire.key),
                label=f"Questionnaire: {questionnaire.name} ({questionnaire.about})",
                subject=LINK_SUBJECT,
                text=LINK_TEXT,
                sms=LINK_SMS,
            )
        )


def prepare_measure(touchpoint: Touchpoint, details: dict[str, Any]) -> None:
    """As a due ``measure_…`` touchpoint becomes a message: create the measure, add its link."""
    template_key = touchpoint.template_key or touchpoint.kind
    if not template_key.startswith(TEMPLATE_PREFIX):
        return
    key = template_key.removeprefix(TEMPLATE_PREFIX)
    questionnaire = questionnaires_for(touchpoint.practice_id).get(key)
    if questionnaire is None:
        raise SkipTouchpoint(
            f"There is no questionnaire called {key!r} any more; nothing was sent."
        )
    measure = measure_create(client=touchpoint.client, questionnaire_key=key, touchpoint=touchpoint)
    details.update(link_details(measure, questionnaire))
