from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_signup_and_codes'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='elder_mode',
            field=models.BooleanField(default=False, verbose_name='长辈版'),
        ),
    ]
