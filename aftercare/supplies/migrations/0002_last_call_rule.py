"""Existing practices get the new default rule: call a client who has not re-ordered in time.

New practices get it from ``DEFAULT_SUPPLY_RULES``; a practice that already uses re-order
reminders gets it once here (a practice without them, or with the rule already, is left alone).
The rule is written out as it was when added, so later changes to the defaults do not change
what this migration did.
"""

import datetime as dt

from django.db import migrations

RULE = {
    "name": "Call when a supply is not re-ordered in time",
    "trigger": "supply_reorder_overdue",
    "trigger_options": {"buffer_days": 7},
    "offset_days": 0,
    "local_time": dt.time(9, 0),
    "action": "task",
    "task_kind": "call",
    "estimated_minutes": 10,
    "purpose": "care",
    "value": 95,
}


def add_last_call_rule(apps, schema_editor):
    CareRule = apps.get_model("care", "CareRule")
    rules = CareRule.objects.using(schema_editor.connection.alias)
    using_reminders = set(
        rules.filter(trigger="supply_reorder").values_list("practice_id", flat=True)
    )
    having = set(rules.filter(trigger=RULE["trigger"]).values_list("practice_id", flat=True))
    rules.bulk_create(
        CareRule(practice_id=practice_id, **RULE)
        for practice_id in sorted(using_reminders - having)
    )


def remove_last_call_rule(apps, schema_editor):
    CareRule = apps.get_model("care", "CareRule")
    CareRule.objects.using(schema_editor.connection.alias).filter(
        trigger=RULE["trigger"], name=RULE["name"]
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("supplies", "0001_initial"),
        ("care", "0008_models_moved_to_queue_promises_resources"),
    ]

    operations = [migrations.RunPython(add_last_call_rule, remove_last_call_rule)]
