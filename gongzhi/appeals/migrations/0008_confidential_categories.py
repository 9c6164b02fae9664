"""Confidential categories: the flag, and the rule that such a category is never public (the categories it is
set for are in 0009). The index lets property staff's scope, which leaves the confidential categories out, be
counted from the index alone.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0007_event_notify_pending'),
    ]

    operations = [
        migrations.AddField(
            model_name='category',
            name='confidential',
            field=models.BooleanField(default=False, help_text='仅提交人、社区和街道工作人员、所在小区网格员、承办单位及被吹哨部门可以查看', verbose_name='保密'),
        ),
        migrations.AddConstraint(
            model_name='category',
            constraint=models.CheckConstraint(condition=models.Q(('confidential', True), ('may_be_public', True), _negated=True), name='category_confidential_not_public'),
        ),
        migrations.AddIndex(
            model_name='appeal',
            index=models.Index(fields=['compound', 'category'], name='appeal_compound_category_idx'),
        ),
    ]
