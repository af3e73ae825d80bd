"""Move carehour, calendarfeed from the care app into queue: the tables stay as they are.

The care app created these tables (care_…); this app takes over their models in Django's
state only (``SeparateDatabaseAndState``), so an installation upgrades in place with every
row kept. Their content types move too, so permissions and admin history follow them.
"""

import aftercare.clock
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ['carehour', 'calendarfeed']


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="care", model__in=MODELS).update(app_label="queue")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="queue", model__in=MODELS).update(app_label="care")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('care', '0007_daily_sweep_and_tick_lease'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('practice', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CalendarFeed',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='practice.practice')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'care_calendarfeed',
                        'constraints': [models.UniqueConstraint(fields=('practice', 'user'), name='one_feed_per_user_practice')],
                    },
                ),
                migrations.CreateModel(
                    name='CareHour',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                        ('starts', models.TimeField()),
                        ('ends', models.TimeField()),
                        ('created_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='care_hours', to='practice.practice')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='care_hours', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'care_carehour',
                        'ordering': ['weekday', 'starts', 'id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('ends__gt', models.F('starts'))), name='care_hour_ends_after_start')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
