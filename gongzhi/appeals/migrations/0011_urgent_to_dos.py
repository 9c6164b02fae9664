from django.conf import settings
from django.db import migrations, models


def mark_emergencies(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    Appeal.objects.filter(category__kind="emergency").update(urgent=True)


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0010_routing_parts'),
        ('grid', '0003_compound_boundary_validated'),
        ('orgs', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='appeal',
            name='urgent',
            field=models.BooleanField(default=False, editable=False, verbose_name='紧急'),
        ),
        migrations.RunPython(mark_emergencies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='appeal',
            name='resolve_due',
            field=models.DateTimeField(blank=True, null=True, verbose_name='办结时限'),
        ),
        migrations.AddIndex(
            model_name='appeal',
            index=models.Index(fields=['status', 'urgent', 'resolve_due', 'id'], name='appeal_status_due_idx'),
        ),
    ]
