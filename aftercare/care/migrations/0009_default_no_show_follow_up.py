"""Give every existing practice the kind follow-up after a no-show, once.

New practices get it from ``DEFAULT_RULES`` (``aftercare/care/defaults.py``). A practice that
already has a rule on ``appointment_no_show`` (its own, or one it turned off) is left as it is,
so running this again changes nothing. The rule is a frozen copy: a migration must not change
meaning when the code does later.
"""

import datetime as dt

from django.db import migrations

RULE = {
    "name": "Ask if all is well after a missed appointment",
    "trigger": "appointment_no_show",
    "trigger_options": {},
    "offset_days": 0,
    "local_time": dt.time(17, 0),
    "action": "message",
    "template_key": "no_show_follow_up",
    "purpose": "care",
    "value": 70,
}


def add_no_show_follow_up(apps, schema_editor):
    alias = schema_editor.connection.alias
    Practice = apps.get_model("practice", "Practice")
    CareRule = apps.get_model("care", "CareRule")
    covered = CareRule.objects.using(alias).filter(trigger="appointment_no_show").values(
        "practice_id"
    )
    CareRule.objects.using(alias).bulk_create(
        CareRule(practice_id=pk, **RULE)
        for pk in Practice.objects.using(alias).exclude(pk__in=covered).values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0008_models_moved_to_queue_promises_resources"),
        ("practice", "0001_initial"),
    ]

    # Going back keeps the rules: a practice may have edited its copy since.
    operations = [migrations.RunPython(add_no_show_follow_up, migrations.RunPython.noop)]
