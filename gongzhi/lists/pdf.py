"""The three lists' printable documents: a person's certificate of volunteer service and a unit's yearly rating,
each one page or a few, in Chinese.

The text is set in STSong-Light, one of the CID fonts every PDF reader carries (Adobe's Asian font packs): the
file names the font and embeds nothing, so no font file ships with the site and a fresh machine makes the same
PDF. Text stays text (never drawn as curves), so it can be copied, searched and read aloud.
"""
import io
from collections import defaultdict
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles():
    font = _font()
    # CJK wrapping breaks between any two characters, as Chinese text is set.
    base = dict(fontName=font, wordWrap="CJK", leading=18, fontSize=11)
    return {
        "title": ParagraphStyle("title", **{**base, "fontSize": 20, "leading": 28, "alignment": 1, "spaceAfter": 6}),
        "body": ParagraphStyle("body", **base, spaceAfter=6),
        "small": ParagraphStyle("small", **{**base, "fontSize": 9, "leading": 13, "textColor": colors.grey}),
        "cell": ParagraphStyle("cell", **{**base, "fontSize": 10, "leading": 14}),
        "right": ParagraphStyle("right", **base, alignment=2),
    }


def _p(text, style):
    return Paragraph(escape(str(text)), style)


def _table(rows, widths, st):
    table = Table([[_p(c, st["cell"]) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e9e9")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _render(title, flowables):
    buf = io.BytesIO()
    # The document's title names the kind of document only: a PDF's properties travel further than its text.
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=title, author=_("共治"), creator=_("共治"))
    doc.build(flowables)
    return buf.getvalue()


def _hours(value):
    return f"{Decimal(value).quantize(Decimal('0.1'))}"


def certificate(*, name, lines, issued_on=None):
    """A certificate of volunteer service. `lines`: the person's ledger lines, each a dict with `day`, `project`,
    `place`, `hours` and `correction` (a reversing line). Totals per year are the sums of those lines, so the
    certificate and the ledger never disagree."""
    st = _styles()
    issued_on = issued_on or timezone.localdate()
    by_year = defaultdict(Decimal)
    for line in lines:
        by_year[line["year"]] += line["hours"]
    total = sum(by_year.values(), Decimal("0"))
    flow = [_p(_("志愿服务证明"), st["title"]), Spacer(1, 4 * mm),
            _p(_("兹证明 %(name)s 参加社区志愿服务，经社区确认并记入服务台账，累计服务 %(hours)s 小时。")
               % {"name": name, "hours": _hours(total)}, st["body"])]
    if by_year:
        flow.append(_p(_("各年度服务时长："), st["body"]))
        flow.append(_table([[_("年度"), _("服务时长（小时）")]]
                           + [[_("%(y)s 年") % {"y": y}, _hours(h)] for y, h in sorted(by_year.items())],
                           [40 * mm, 50 * mm], st))
        flow.append(Spacer(1, 5 * mm))
        flow.append(_p(_("本证明依据以下 %(n)s 条台账记录：") % {"n": len(lines)}, st["body"]))
        rows = [[_("日期"), _("项目"), _("地点"), _("小时")]]
        for line in lines:
            project = line["project"] + (" " + _("（冲正：%(reason)s）") % {"reason": line["reason"]}
                                         if line["correction"] else "")
            rows.append([line["day"].isoformat(), project, line["place"], _hours(line["hours"])])
        flow.append(_table(rows, [26 * mm, 80 * mm, 40 * mm, 24 * mm], st))
    else:
        flow.append(_p(_("服务台账中暂无记录。"), st["body"]))
    flow += [Spacer(1, 8 * mm), _p(_("开具日期：%(d)s") % {"d": issued_on.isoformat()}, st["right"]),
             _p(_("本证明由共治平台依据社区确认的服务台账生成；冲正记录以负数计入。"), st["small"])]
    return _render(_("志愿服务证明"), flow)


def rating_sheet(*, unit, party_organisation, community, year, grade, comment, hours, services, rated_by,
                 rated_on):
    """One page for a registered unit's party organisation: the community's yearly rating of the unit."""
    st = _styles()
    flow = [_p(_("驻区单位双报到年度评价"), st["title"]), Spacer(1, 4 * mm),
            _p(_("致：%(org)s") % {"org": party_organisation or unit}, st["body"]),
            _p(_("%(unit)s 于 %(year)s 年度在 %(community)s 报到服务，经社区评议，评价如下：")
               % {"unit": unit, "year": year, "community": community}, st["body"]),
            _table([[_("项目"), _("内容")],
                    [_("评价等次"), grade],
                    [_("全年服务时长"), _("%(h)s 小时") % {"h": _hours(hours)}],
                    [_("完成服务次数"), str(services)],
                    [_("社区评语"), comment or _("无")]], [40 * mm, 130 * mm], st),
            Spacer(1, 10 * mm),
            _p(_("%(community)s（评价人：%(by)s）") % {"community": community, "by": rated_by}, st["right"]),
            _p(_("评价日期：%(d)s") % {"d": rated_on.isoformat()}, st["right"])]
    return _render(_("驻区单位双报到年度评价"), flow)
