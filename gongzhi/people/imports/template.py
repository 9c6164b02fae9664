"""The import template: its columns, the values its choice columns take, and the empty workbook users fill in.

The same columns are exported (people.exports), so an export can be edited and imported again.
"""
from django.utils.translation import gettext as _

from gongzhi.grid.models import Tenure

from ..models import Relation

# (key, header). The headers are the file format: fixed Chinese text, not translated.
COLUMNS = (
    ("compound", "小区编码"),
    ("building", "楼栋编码"),
    ("room", "房号"),
    ("address", "地址"),
    ("area", "专有面积(㎡)"),
    ("tenure", "产权状态"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("phone", "手机号"),
    ("relation", "与户主关系"),
    ("tags", "关注标签"),
    ("note", "备注"),
)
HEADERS = [h for _k, h in COLUMNS]
HEADER = dict(COLUMNS)

# Cell values of the choice columns. The Chinese labels are the template; the codes are accepted too.
TENURE_LABELS = {Tenure.OWNER: "业主自住", Tenure.TENANT: "租户", Tenure.VACANT: "空置"}
RELATION_LABELS = {
    Relation.HEAD: "户主", Relation.SPOUSE: "配偶", Relation.CHILD: "子女", Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女", Relation.GRANDPARENT: "祖父母", Relation.SIBLING: "兄弟姐妹",
    Relation.TENANT: "租客", Relation.OTHER: "其他",
}
NO_TAGS = "无"
# Cells starting with these are formulas to a spreadsheet (OWASP "CSV injection"); the export prefixes "'".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

MAX_LEN = {"compound": 32, "building": 32, "room": 32, "address": 200, "name": 50, "note": 500}


EXAMPLE = ["K1", "1", "101", "宁江新城一期1栋101", "98.50", "业主自住", "张三", "110105199003078887",
           "13800138000", "户主", "独居老人", "示例行，请勿导入"]


def column_help():
    """(header, required, explanation) for every column: the 说明 sheet and the docs say the same."""
    return [
        ("小区编码", _("必填"), _("已有小区的编码；不存在或不在您管辖范围内的小区编码会报错")),
        ("楼栋编码", _("必填"), _("楼栋编码；小区中没有的楼栋会自动新建（名称为“编码+栋”）")),
        ("房号", _("必填"), _("同一楼栋内唯一；小区编码+楼栋编码+房号确定一户")),
        ("地址", _("新户必填"), _("不超过200字")),
        ("专有面积(㎡)", _("选填"), _("大于0的数字，保留两位小数")),
        ("产权状态", _("选填"), "、".join(TENURE_LABELS.values()) + _("（新户默认业主自住）")),
        ("姓名", _("有居民时必填"), _("不超过50字；只登记户、没有居民时，本列及以后各列留空")),
        ("身份证号", _("选填"), _("18位，校验位须正确；请把该列设为文本格式。同一文件中不能重复")),
        ("手机号", _("选填"), _("11位中国大陆手机号")),
        ("与户主关系", _("选填"), "、".join(RELATION_LABELS.values()) + _("（新居民默认其他）")),
        ("关注标签", _("选填"), _("标签名称或编码，用、或逗号分隔；填“无”表示清除全部标签")),
        ("备注", _("选填"), _("不超过500字")),
    ]


def template_workbook():
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "导入"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    for col in "ABCDEFGHIJKL":
        ws.column_dimensions[col].number_format = "@"  # text, so ID numbers keep every digit
        ws.column_dimensions[col].width = 16
    ws.column_dimensions["H"].width = 22
    help_ws = wb.create_sheet("说明")
    help_ws.append([_("列名"), _("是否必填"), _("说明"), _("示例")])
    for (header, required, text), example in zip(column_help(), EXAMPLE):
        help_ws.append([header, required, text, example])
    help_ws.append([])
    help_ws.append([_("只导入第一个工作表；第1行为表头，从第2行起每行一位居民。空白单元格不会清除已有数据。"
                      "导入前会先试运行并列出全部错误行，有任何错误时不写入任何数据。")])
    for col, width in (("A", 14), ("B", 14), ("C", 60), ("D", 22)):
        help_ws.column_dimensions[col].width = width
    return wb
