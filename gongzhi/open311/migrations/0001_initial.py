# Open311 clients, their API keys, and the appeals they filed.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('appeals', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='名称')),
                ('contact', models.CharField(blank=True, max_length=200, verbose_name='联系人/联系方式')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='备注')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='open311_client', to=settings.AUTH_USER_MODEL, verbose_name='服务账号')),
            ],
            options={
                'verbose_name': '接口客户端',
                'verbose_name_plural': '接口客户端',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ApiKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('prefix', models.CharField(editable=False, max_length=8, verbose_name='密钥前缀')),
                ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='签发时间')),
                ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='吊销时间')),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近使用')),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='keys', to='open311.apiclient', verbose_name='客户端')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '接口密钥',
                'verbose_name_plural': '接口密钥',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ServiceRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(max_length=32, unique=True)),
                ('account_id', models.CharField(blank=True, max_length=100, verbose_name='客户端账号')),
                ('device_id', models.CharField(blank=True, max_length=100, verbose_name='设备标识')),
                ('email_enc', models.TextField(blank=True, editable=False)),
                ('media_url', models.URLField(blank=True, max_length=500, verbose_name='媒体链接')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('appeal', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='open311', to='appeals.appeal')),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='open311.apiclient', verbose_name='客户端')),
            ],
            options={
                'verbose_name': 'Open311 请求',
                'verbose_name_plural': 'Open311 请求',
                'ordering': ['-id'],
            },
        ),
    ]
