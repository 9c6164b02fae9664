"""Confidential categories: appeals about a person's circumstances are kept from staff who need not read them.

Hardship (困难求助) and neighbour disputes (邻里纠纷) become confidential, and two categories that did not exist
are added, confidential from the start: complaints about the property company itself (投诉物业: handled by the
community office, never by the company complained of) and reports about a person (举报他人). A confidential
category may not be public, so any of these that was public stops being so.

Illegal construction (违法建设), noise and the property-service categories stay as they are: the property
company is the party that must act on them in its compounds.

A migration of its own: PostgreSQL will not change a table's schema in the transaction that wrote its rows
("pending trigger events"), which reversing the data and the schema in one migration would do.
"""
from django.db import migrations

CONFIDENTIAL = ("hardship", "dispute", "property_complaint", "person_report")
# code, name, name_en, kind, handler level, handler kind, order, description
NEW = [
    ("property_complaint", "投诉物业", "Complaints about the property company", "complaint", "community",
     "community_office", 7, "对物业公司服务、收费或人员的投诉，由社区受理，不派给被投诉的物业公司"),
    ("person_report", "举报他人", "Reports about a person", "report", "community", "community_office", 19,
     "反映他人违法违规或需要关注的情况，如群租、家庭暴力"),
]


def _bump(schema_editor):
    """Processes that keep the categories in memory (gongzhi.core.reference) load them again."""
    from gongzhi.core.reference import bump

    bump(schema_editor.connection.alias)


def forwards(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    for code, name, name_en, kind, level, handler_kind, order, description in NEW:
        Category.objects.get_or_create(code=code, defaults=dict(
            name=name, name_en=name_en, kind=kind, handler_level=level, handler_kind=handler_kind,
            respond_amount=1, respond_unit="wd", resolve_amount=15, resolve_unit="wd", order=order,
            description=description))
    Category.objects.filter(code__in=CONFIDENTIAL).update(confidential=True, may_be_public=False)
    _bump(schema_editor)


def backwards(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    Category.objects.filter(code__in=CONFIDENTIAL).update(confidential=False)
    unused = (Category.objects.filter(code__in=[row[0] for row in NEW], appeals__isnull=True, children__isnull=True,
                                      routing_rules__isnull=True))
    Category.objects.filter(pk__in=list(unused.values_list("pk", flat=True))).delete()
    _bump(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0008_confidential_categories'),
        ('core', '0004_reference_stamp'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
