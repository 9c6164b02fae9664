from django.db import migrations, models


def count_existing(apps, schema_editor):
    # Jobs from before the cap kept every error: their count is the length of the list.
    ImportJob = apps.get_model("people", "ImportJob")
    for job in ImportJob.objects.only("pk", "errors").iterator():
        if job.errors:
            ImportJob.objects.filter(pk=job.pk).update(error_count=len(job.errors))


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_registrationconflict"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="error_count",
            field=models.PositiveIntegerField(default=0, verbose_name="错误数"),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
