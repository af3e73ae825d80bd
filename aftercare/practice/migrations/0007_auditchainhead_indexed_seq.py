from django.db import migrations, models


def every_row_indexed(apps, schema_editor):
    """Until now each row's clients were indexed as it was appended: every chain is indexed up
    to its head."""
    AuditChainHead = apps.get_model("practice", "AuditChainHead")
    AuditChainHead.objects.update(indexed_seq=models.F("seq"))


class Migration(migrations.Migration):

    dependencies = [
        ("practice", "0006_audit_event_client"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="indexed_seq",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="The rows up to this seq have their clients in AuditEventClient",
            ),
        ),
        migrations.RunPython(every_row_indexed, migrations.RunPython.noop),
    ]
