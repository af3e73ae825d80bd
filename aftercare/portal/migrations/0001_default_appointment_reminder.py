"""Give every existing practice the default appointment reminder rule, once.

New practices get it from ``DEFAULT_RULES`` (``aftercare/portal/appointments.py``); practices
created before it existed had no reminder. A practice that already has a rule on
``before_appointment`` (its own, or one it turned off) is left as it is, so running this again
changes nothing. The daily re-planning in ``aftercare tick`` then plans the reminders.

The rule is a frozen copy of ``DEFAULT_RULE``: a migration must not change meaning when the
code does later.
"""

import datetime as dt

from django.db import migrations

RULE = {
    "name": "Appointment reminder",
    "trigger": "before_appointment",
    "trigger_options": {"hours": 24},
    "offset_days": 0,
    "local_time": dt.time(9, 0),
    "action": "message",
    "template_key": "appointment_reminder",
    "purpose": "care",
    "value": 70,
}


def add_appointment_reminder(apps, schema_editor):
    alias = schema_editor.connection.alias
    Practice = apps.get_model("practice", "Practice")
    CareRule = apps.get_model("care", "CareRule")
    covered = (
        CareRule.objects.using(alias).filter(trigger="before_appointment").values("practice_id")
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
    operations = [migrations.RunPython(add_appointment_reminder, migrations.RunPython.noop)]
