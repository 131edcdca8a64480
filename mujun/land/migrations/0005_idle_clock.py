from django.db import migrations, models

MEASURES = [
    ("urge_start", "Urge to start"),
    ("recover", "Recover / buy back"),
    ("secondary_development", "Secondary development / added floor area"),
    ("merger", "Merger or transfer"),
    ("relet", "Re-letting to a new project"),
    ("idle_fee", "Idle-land fee and urge to start"),
    ("extend", "Extend the start date"),
    ("swap", "Swap for other land"),
    ("replan", "Re-plan the use"),
]


def idle_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="land_price",
            field=models.FloatField(
                blank=True, help_text="The transfer price of the whole parcel", null=True,
                verbose_name="land price (10k yuan)",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="idle_cause",
            field=models.CharField(
                blank=True, choices=[("enterprise", "Enterprise"), ("government", "Government")], default="",
                max_length=16, verbose_name="cause of idleness",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="idle_cause_reason",
            field=models.TextField(blank=True, default="", verbose_name="reason for the cause"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="idle_notice_on",
            field=models.DateField(blank=True, null=True, verbose_name="investigation notice served on"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="idle_reply_on",
            field=models.DateField(blank=True, null=True, verbose_name="reply received on"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("land", "0004_year_bounds")]

    operations = [
        *idle_fields("parcel"),
        *idle_fields("historicalparcel"),
        *[
            migrations.AlterField(
                model_name=model_name,
                name="measure",
                field=models.CharField(choices=MEASURES, max_length=24, verbose_name="measure"),
            )
            for model_name in ("disposalcase", "historicaldisposalcase")
        ],
    ]
