"""The running-out index ends with the lead time: the supplies an absence affects read it alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supplies", "0004_supply_status_runs_out_client"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="supply",
            name="supply_status_runs_out",
        ),
        migrations.AddIndex(
            model_name="supply",
            index=models.Index(
                fields=["practice", "status", "runs_out_on", "client", "lead_time_days"],
                name="supply_status_runs_out",
            ),
        ),
    ]
