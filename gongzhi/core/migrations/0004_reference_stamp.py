import secrets

from django.db import migrations, models


def first_token(apps, schema_editor):
    apps.get_model("core", "ReferenceStamp").objects.create(id=1, token=secrets.token_hex(16))


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_calendar_2026"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
    ]
