"""A meeting's minutes as a PDF: agenda, attendance, minutes and decisions, in STSong-Light like the three lists'
documents (gongzhi/lists/pdf.py: a CID font every reader has; nothing embedded; text stays text)."""
import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from gongzhi.lists.pdf import _styles


def _lines(text, style):
    return [Paragraph(escape(line) or "&nbsp;", style) for line in str(text or "").splitlines()] or \
        [Paragraph("—", style)]


def minutes_pdf(meeting):
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=str(meeting.title), author=str(meeting.compound.name))
    when = f"{timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M} – {timezone.localtime(meeting.ends_at):%H:%M}"
    where = meeting.place_note or (str(meeting.booking.room) if meeting.booking_id else "")
    story = [Paragraph(escape(_("党群议事会会议纪要")), st["title"]),
             Paragraph(escape(f"{meeting.compound.name} · {meeting.title}"), st["body"]),
             Paragraph(escape(_("时间：%(when)s") % {"when": when}), st["body"]),
             Paragraph(escape(_("地点：%(where)s") % {"where": where}), st["body"]),
             Paragraph(escape(_("参会方：%(who)s") % {"who": meeting.invitees or "—"}), st["body"]),
             Paragraph(escape(_("出席（%(n)s 人）：%(who)s") % {"n": meeting.attendees_count,
                                                          "who": meeting.attendance or "—"}), st["body"]),
             Spacer(1, 4 * mm), Paragraph(escape(_("议程")), st["body"])]
    story += [Paragraph(escape(f"{i}. {t.title}"), st["body"]) for i, t in enumerate(meeting.topics.all(), 1)] or \
        [Paragraph("—", st["body"])]
    story += [Spacer(1, 4 * mm), Paragraph(escape(_("会议纪要")), st["body"]), *_lines(meeting.minutes, st["body"]),
              Spacer(1, 4 * mm), Paragraph(escape(_("议定事项")), st["body"]), *_lines(meeting.decisions, st["body"])]
    doc.build(story)
    return buf.getvalue()
