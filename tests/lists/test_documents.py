"""The certificate of volunteer service: its text, read back out of the PDF, names the person, every ledger line
it rests on (date, project, place, hours), the totals per year and the corrections; its download is audited."""
import io
import re

import pytest
from pypdf import PdfReader

from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.lists import services
from gongzhi.lists.models import LedgerEntry

from .conftest import TODAY


def pdf_text(data):
    assert data[:5] == b"%PDF-"
    # Extraction may break a line anywhere; the checks below read the text with its whitespace removed.
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def served(lists, published):
    """member1's services: 2.5 h this year and 3 h last year (both confirmed), and a 1 h line corrected away."""
    c = lists

    def serve(title, day, hours):
        project = published()
        project.title = title
        project.save(update_fields=["title"])
        services.project_take(user=c.member1, project=project)
        s = services.service_record(user=c.member1, project=project, served_on=day, hours=hours)
        services.service_confirm(user=c.community_worker, service=s)
        return LedgerEntry.objects.get(service=s)

    last_year = TODAY.replace(year=TODAY.year - 1, month=6, day=1)
    c.lines = [serve("上门理发", TODAY, "2.5"), serve("楼道灯维修", last_year, "3"), serve("错记的服务", TODAY, "1")]
    services.ledger_correct(user=c.community_worker, entry=c.lines[2], reason="重复记录")
    c.member1.display_name = "李红"
    c.member1.save(update_fields=["display_name"])
    return c


def test_the_certificate_lists_the_records_and_the_totals_per_year(served, client):
    c = served
    client.force_login(c.member1)
    r = client.get("/lists/hours/certificate.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Cache-Control"] == "no-store" and "李红" not in r["Content-Disposition"]
    text = pdf_text(r.content)
    assert "志愿服务证明" in text and "兹证明李红" in text
    assert "累计服务5.5小时" in text  # 2.5 + 3 + 1 − 1
    assert f"{TODAY.year - 1}年3.0" in text and f"{TODAY.year}年2.5" in text
    assert f"{TODAY.isoformat()}上门理发" in text and f"{TODAY.year - 1}-06-01楼道灯维修" in text
    assert "错记的服务（冲正：重复记录）" in text and "-1.0" in text
    assert "本证明依据以下4条台账记录" in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, detail="certificate")
    assert entry.user == c.member1 and sorted(entry.changes["lines"]) == sorted(
        LedgerEntry.objects.filter(person=c.member1).values_list("pk", flat=True))
    assert "李红" not in entry.object_repr


def test_the_certificate_holds_only_the_persons_own_lines(served, api):
    c = served
    r = api.get(c.unit1, "/api/v1/ledger/mine/certificate.pdf")
    assert r.status_code == 200
    text = pdf_text(r.content)
    assert "上门理发" not in text and "服务台账中暂无记录" in text and "累计服务0.0小时" in text
    mine = pdf_text(api.get(c.member1, "/api/v1/ledger/mine/certificate.pdf").content)
    assert "上门理发" in mine and "累计服务5.5小时" in mine


def test_the_certificate_needs_a_login(db, client, api):
    assert client.get("/lists/hours/certificate.pdf").status_code == 302
    assert api.get(None, "/api/v1/ledger/mine/certificate.pdf").status_code == 401
    assert not AuditEntry.objects.filter(detail="certificate").exists()


def test_the_hours_page_links_the_certificate(served, client):
    client.force_login(served.member1)
    page = client.get("/lists/hours/").content.decode()
    assert 'href="/lists/hours/certificate.pdf"' in page
    assert 'data-hours="2.5"' in page  # this year's: 2.5 + 1 − 1
