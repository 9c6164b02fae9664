"""The reporter may withdraw an appeal nobody has taken up (已撤回): a new status, and an ended one, so the
duplicate-suggestion index drops withdrawn appeals (its triggers hold the list of ended statuses)."""
from django.db import migrations, models


def refresh_search_index(apps, schema_editor):
    from gongzhi.appeals import similar

    similar.refresh(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0011_urgent_to_dos'),
    ]

    operations = [
        migrations.AlterField(
            model_name='appeal',
            name='status',
            field=models.CharField(choices=[('submitted', '已提交'), ('accepted', '已受理'), ('dispatched', '已派单'), ('in_progress', '办理中'), ('on_hold', '挂起'), ('extension_requested', '申请延期'), ('returned', '已退单'), ('resolved', '已办结'), ('verified', '已核查'), ('closed', '已结案'), ('rejected', '不予受理'), ('reopened', '已重启'), ('withdrawn', '已撤回')], db_index=True, default='submitted', max_length=20, verbose_name='状态'),
        ),
        # Backwards it keeps the new triggers: harmless (no appeal is withdrawn once the status is gone).
        migrations.RunPython(refresh_search_index, migrations.RunPython.noop, elidable=False),
    ]
