"""Results page orders served by indexes: the ``unranked`` flag (sorts last) and indexes for every offered
order and the main filters, replacing the single-purpose indexes of 0001."""

from django.db import migrations, models


def mark_unranked(apps, schema_editor):
    Result = apps.get_model("evaluation", "Result")
    Result.objects.filter(models.Q(rank__isnull=True) | models.Q(total__isnull=True)).update(unranked=True)


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0001_initial"),
        ("evaluation", "0001_initial"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="result", name="evaluation__run_id_5742a6_idx"),
        migrations.RemoveIndex(model_name="result", name="evaluation__run_id_ffc600_idx"),
        migrations.RemoveIndex(model_name="result", name="evaluation__run_id_2fc590_idx"),
        migrations.RemoveIndex(model_name="result", name="evaluation__run_id_f2cc19_idx"),
        migrations.RemoveIndex(model_name="result", name="evaluation__run_id_7c7dd1_idx"),
        migrations.AlterModelOptions(
            name="result",
            options={
                "ordering": ["run", "group", "unranked", "rank", "id"],
                "verbose_name": "evaluation result",
                "verbose_name_plural": "evaluation results",
            },
        ),
        migrations.AddField(
            model_name="result",
            name="unranked",
            field=models.BooleanField(default=False, verbose_name="unranked"),
        ),
        migrations.RunPython(mark_unranked, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(fields=["run", "group", "unranked", "rank", "id"], name="eval_result_rank"),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(fields=["run", "group", "unranked", "-rank", "id"], name="eval_result_rank_desc"),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(fields=["run", "unranked", "total", "id"], name="eval_result_total"),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(fields=["run", "unranked", "-total", "id"], name="eval_result_total_desc"),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(
                fields=["run", "status", "group", "unranked", "rank", "id"], name="eval_result_status_rank"
            ),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(
                fields=["run", "grade", "group", "unranked", "rank", "id"], name="eval_result_grade_rank"
            ),
        ),
        migrations.AddIndex(
            model_name="result",
            index=models.Index(
                fields=["run", "region", "group", "unranked", "rank", "id"], name="eval_result_region_rank"
            ),
        ),
    ]
