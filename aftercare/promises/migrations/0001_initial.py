"""Move promise, referral from the care app into promises: the tables stay as they are.

The care app created these tables (care_…); this app takes over their models in Django's
state only (``SeparateDatabaseAndState``), so an installation upgrades in place with every
row kept. Their content types move too, so permissions and admin history follow them.
"""

import aftercare.clock
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ['promise', 'referral']


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="care", model__in=MODELS).update(app_label="promises")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="promises", model__in=MODELS).update(app_label="care")


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
                    name='Referral',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('referred_to', models.CharField(max_length=200)),
                        ('why', models.TextField()),
                        ('referred_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('outcome', models.TextField(blank=True, help_text='What the follow-up found')),
                        ('outcome_at', models.DateTimeField(blank=True, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='referrals', to='clients.client')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='referrals', to='practice.practice')),
                    ],
                    options={
                        'db_table': 'care_referral',
                        'ordering': ['-referred_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Promise',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('what', models.CharField(help_text="What was promised, in the client's words", max_length=300)),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('due_from', models.DateTimeField(blank=True, null=True)),
                        ('due_until', models.DateTimeField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('kept', 'Kept'), ('broken', 'Broken'), ('released', 'Released')], default='open', max_length=10)),
                        ('status_reason', models.CharField(blank=True, max_length=300)),
                        ('source', models.CharField(choices=[('by_hand', 'By hand'), ('absence', 'Absence emergency list'), ('other', 'Another feature')], default='by_hand', max_length=20)),
                        ('source_ref', models.CharField(blank=True, help_text='e.g. "absence:12" for the feature that made it', max_length=100)),
                        ('snoozed_until', models.DateTimeField(blank=True, null=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=aftercare.clock.now)),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='promises', to='clients.client')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='promises', to='practice.practice')),
                        ('practitioner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='promises', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'care_promise',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['practice', 'status'], name='care_promis_practic_541556_idx'), models.Index(fields=['status', 'due_at'], name='care_promis_status_947575_idx'), models.Index(fields=['status', 'due_until'], name='care_promis_status_a28ff0_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
