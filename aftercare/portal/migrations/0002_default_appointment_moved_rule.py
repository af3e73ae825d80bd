"""Give every existing practice the rule that tells clients when their appointment moves, once.

New practices get it from ``DEFAULT_RULES`` (``DEFAULT_MOVED_RULE`` in
``aftercare/portal/appointments.py``). A practice that already has a rule on
``appointment_moved`` (its own, or one it turned off) is left as it is, so running this again
changes nothing. Only moves made after it exists are told: the trigger fires at the moment of
a move, and earlier moves are older than its lateness limit.

The rule is a frozen copy: a migration must not change meaning when the code does later.
"""

import datetime as dt

from django.db import migrations

RULE = {
    "name": "Tell the client when their appointment moves",
    "trigger": "appointment_moved",
    "trigger_options": {},
    "offset_days": 0,
    "local_time": dt.time(9, 0),
    "action": "message",
    "template_key": "appointment_moved",
    "purpose": "care",
    "value": 75,
}


def add_appointment_moved_rule(apps, schema_editor):
    alias = schema_editor.connection.alias
    Practice = apps.get_model("practice", "Practice")
    CareRule = apps.get_model("care", "CareRule")
    covered = (
        CareRule.objects.using(alias).filter(trigger="appointment_moved").values("practice_id")
    )
    CareRule.objects.using(alias).bulk_create(
        CareRule(practice_id=pk, **RULE)
        for pk in Practice.objects.using(alias).exclude(pk__in=covered).values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_default_appointment_reminder")]

    # Going back keeps the rules: a practice may have edited its copy since.
    operations = [migrations.RunPython(add_appointment_moved_rule, migrations.RunPython.noop)]
