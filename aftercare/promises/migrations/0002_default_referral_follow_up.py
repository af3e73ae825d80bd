"""Give every existing practice the default referral follow-up rule, once.

New practices get it from ``DEFAULT_RULES`` (``aftercare/promises/planning.py``); practices
created before it existed had no follow-up after a referral unless someone wrote a rule. A
practice that already has a rule on ``referral_made`` (its own, or one it turned off) is left
as it is, so running this again changes nothing. The daily re-planning in ``aftercare tick``
then plans the follow-ups; referrals older than the lateness limit get none.

The rule is a frozen copy of ``DEFAULT_REFERRAL_RULES``: a migration must not change meaning
when the code does later.
"""

import datetime as dt

from django.db import migrations

RULE = {
    "name": "Follow up a referral: did you find the help you needed?",
    "trigger": "referral_made",
    "trigger_options": {},
    "offset_days": 14,
    "local_time": dt.time(10, 0),
    "action": "message",
    "template_key": "referral_follow_up",
    "purpose": "care",
    "value": 70,
}


def add_referral_follow_up(apps, schema_editor):
    alias = schema_editor.connection.alias
    Practice = apps.get_model("practice", "Practice")
    CareRule = apps.get_model("care", "CareRule")
    covered = CareRule.objects.using(alias).filter(trigger="referral_made").values("practice_id")
    CareRule.objects.using(alias).bulk_create(
        CareRule(practice_id=pk, **RULE)
        for pk in Practice.objects.using(alias).exclude(pk__in=covered).values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0001_initial"),
        ("care", "0008_models_moved_to_queue_promises_resources"),
        ("practice", "0001_initial"),
    ]

    # Going back keeps the rules: a practice may have edited its copy since.
    operations = [migrations.RunPython(add_referral_follow_up, migrations.RunPython.noop)]
