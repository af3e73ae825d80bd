"""The care app keeps the engine; its queue, promise and resource models moved to their own apps.

State only: the tables are untouched and now belong to ``queue``, ``promises`` and
``resources`` (their 0001 migrations take the models over with the same table names). The
care rule's resource now points at ``resources.Resource``, the same table as before.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("care", "0007_daily_sweep_and_tick_lease"),
        ("promises", "0001_initial"),
        ("queue", "0001_initial"),
        ("resources", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="carerule",
                    name="resource",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="Shared with the client when the message is written",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="care_rules",
                        to="resources.resource",
                    ),
                ),
                migrations.DeleteModel(name="ResourceShare"),
                migrations.DeleteModel(name="Resource"),
                migrations.DeleteModel(name="Promise"),
                migrations.DeleteModel(name="Referral"),
                migrations.DeleteModel(name="CareHour"),
                migrations.DeleteModel(name="CalendarFeed"),
            ],
            database_operations=[],
        ),
    ]
