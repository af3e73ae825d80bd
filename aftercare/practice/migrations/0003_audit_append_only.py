"""The database itself refuses to change or delete audit rows (aftercare.practice.audit_triggers)."""

from django.db import migrations

from aftercare.practice.audit_triggers import statements


def create_triggers(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("practice", "0002_audit_chain_sign_in_and_two_factor")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
