# The (practice, status, runs_out_on) index with the client: the running-out count reads it alone.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supplies", "0003_current_supplies_by_run_out_day"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="supply",
            name="supplies_su_practic_bad74f_idx",
        ),
        migrations.AddIndex(
            model_name="supply",
            index=models.Index(
                fields=["practice", "status", "runs_out_on", "client"],
                name="supply_status_runs_out",
            ),
        ),
    ]
