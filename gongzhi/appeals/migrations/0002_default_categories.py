"""Default appeal categories: kinds and deadlines from the Guangdong 12345 rules; admins edit them."""
from django.db import migrations

# code, parent, name, name_en, kind, handler level, handler kind, (respond, unit), (resolve, unit), public
CATEGORIES = [
    ("property", None, "物业服务", "Property services", "help", "compound", "property_company", (1, "wd"), (10, "wd"), True),
    ("lift", "property", "电梯故障", "Lift breakdown", "help", "compound", "property_company", (4, "h"), (10, "wd"), True),
    ("cleaning", "property", "环境卫生", "Cleaning and refuse", "complaint", "compound", "property_company", (1, "wd"), (15, "wd"), True),
    ("greening", "property", "绿化养护", "Greenery", "suggestion", "compound", "property_company", (1, "wd"), (10, "wd"), True),
    ("parking", "property", "停车秩序", "Parking", "complaint", "compound", "property_company", (1, "wd"), (15, "wd"), True),
    ("leak", "property", "漏水渗水", "Leaks and seepage", "help", "compound", "property_company", (1, "wd"), (10, "wd"), True),
    ("property_fee", "property", "物业收费", "Property fees", "enquiry", "compound", "property_company", (1, "wd"), (2, "wd"), False),
    ("public", None, "公共设施", "Public facilities", "help", "community", "community_office", (1, "wd"), (10, "wd"), True),
    ("lighting", "public", "路灯照明", "Public lighting", "help", "community", "community_office", (1, "wd"), (10, "wd"), True),
    ("road", "public", "道路破损", "Damaged roads", "report", "subdistrict", "gov_department", (1, "wd"), (15, "wd"), True),
    ("manhole", "public", "井盖缺失", "Missing manhole cover", "emergency", "subdistrict", "gov_department", (1, "h"), (4, "h"), True),
    ("urban", None, "城市管理", "Urban management", "report", "subdistrict", "gov_department", (1, "wd"), (15, "wd"), True),
    ("illegal_building", "urban", "违法建设", "Illegal construction", "report", "subdistrict", "gov_department", (1, "wd"), (15, "wd"), True),
    ("street_vending", "urban", "占道经营", "Street vending", "complaint", "subdistrict", "gov_department", (1, "wd"), (15, "wd"), True),
    ("noise", "urban", "噪音扰民", "Noise", "complaint", "community", "community_office", (1, "wd"), (15, "wd"), True),
    ("services", None, "社区服务", "Community services", "help", "community", "community_office", (1, "wd"), (10, "wd"), True),
    ("policy", "services", "政策咨询", "Policy enquiry", "enquiry", "community", "community_office", (1, "wd"), (2, "wd"), True),
    ("hardship", "services", "困难求助", "Help in hardship", "help", "community", "community_office", (1, "wd"), (10, "wd"), False),
    ("suggestion", "services", "意见建议", "Suggestions", "suggestion", "community", "community_office", (1, "wd"), (10, "wd"), True),
    ("dispute", None, "邻里纠纷", "Neighbour disputes", "complaint", "community", "community_office", (1, "wd"), (15, "wd"), False),
    ("safety", None, "安全隐患", "Safety hazards", "emergency", "community", "community_office", (1, "h"), (8, "h"), True),
    ("gas_leak", "safety", "燃气泄漏", "Gas leak", "emergency", "compound", "property_company", (1, "h"), (2, "h"), True),
    ("fire_lane", "safety", "消防通道堵塞", "Blocked fire lane", "report", "compound", "property_company", (1, "wd"), (15, "wd"), True),
]


def load(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    made = {}
    for order, (code, parent, name, name_en, kind, level, handler_kind, respond, resolve, public) in enumerate(CATEGORIES):
        obj, _ = Category.objects.get_or_create(code=code, defaults=dict(
            parent=made.get(parent), name=name, name_en=name_en, kind=kind, handler_level=level,
            handler_kind=handler_kind, respond_amount=respond[0], respond_unit=respond[1],
            resolve_amount=resolve[0], resolve_unit=resolve[1], may_be_public=public, order=order))
        made[code] = obj


def unload(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    Category.objects.filter(code__in=[c[0] for c in CATEGORIES], parent__isnull=False).delete()
    Category.objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
