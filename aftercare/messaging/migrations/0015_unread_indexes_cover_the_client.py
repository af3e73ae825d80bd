"""The unread indexes end with the id and the client: the bounded counts read them alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0014_unmatched_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="message",
            name="message_unread_order",
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="message_unread_level_order",
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="message_unread_away",
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["practice", "direction", "acknowledged_at", "created_at", "id", "client"],
                name="message_unread_order",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=[
                    "practice",
                    "direction",
                    "acknowledged_at",
                    "triage_level",
                    "created_at",
                    "id",
                    "client",
                ],
                name="message_unread_level_order",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=[
                    "practice",
                    "direction",
                    "acknowledged_at",
                    "away_routing",
                    "created_at",
                    "id",
                    "triage_level",
                    "client",
                ],
                name="message_unread_away",
            ),
        ),
    ]
