"""Move resource, resourceshare from the care app into resources: the tables stay as they are.

The care app created these tables (care_…); this app takes over their models in Django's
state only (``SeparateDatabaseAndState``), so an installation upgrades in place with every
row kept. Their content types move too, so permissions and admin history follow them.
"""

import aftercare.clock
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ['resource', 'resourceshare']


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="care", model__in=MODELS).update(app_label="resources")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="resources", model__in=MODELS).update(app_label="care")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('care', '0007_daily_sweep_and_tick_lease'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('clients', '0003_client_email_unusable_client_opted_out_at_and_more'),
        ('practice', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Resource',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True, help_text='Markdown; sanitised when shown')),
                        ('link', models.URLField(blank=True)),
                        ('topics', models.CharField(blank=True, help_text='Comma-separated, e.g. sleep, grief', max_length=300)),
                        ('created_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('updated_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resources', to='practice.practice')),
                    ],
                    options={
                        'db_table': 'care_resource',
                        'ordering': ['title', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ResourceShare',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('note', models.CharField(blank=True, max_length=300)),
                        ('shared_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resource_shares', to='clients.client')),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='practice.practice')),
                        ('resource', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='resources.resource')),
                        ('shared_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'care_resourceshare',
                        'ordering': ['-shared_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
