"""The community's yearly rating of registered units and members: once per registration and year, by the desk
only, audited; and the one-page PDF for the unit's party organisation, its text read back."""
import io
import re

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.lists import services
from gongzhi.lists.models import Registration, RegistrationKind, YearlyRating

from .conftest import TODAY


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


@pytest.fixture
def unit_reg(lists, published):
    """The unit's registration, with one confirmed 4-hour service dispatched to it this year."""
    c = lists
    reg = Registration.objects.get(kind=RegistrationKind.UNIT)
    reg.party_branch = "兴宁市供电局党委"
    reg.save(update_fields=["party_branch"])
    need = services.need_post(user=c.resident1, title="楼道灯维修", category="repair", compound=c.K1.pk,
                              wanted_from=TODAY, wanted_to=TODAY, people=20)
    project = services.project_create(user=c.community_worker, needs=[need.pk], title="楼道灯维修",
                                      mode="dispatch", units=[c.unit.pk])
    s = services.service_record(user=c.unit1, project=project, served_on=TODAY, hours="4",
                                organisation=c.unit.pk)
    services.service_confirm(user=c.community_worker, service=s)
    return reg


def test_the_desk_rates_a_unit_once_a_year_and_the_sheet_says_so(lists, unit_reg, client):
    c = lists
    rating = services.registration_rate(user=c.community_worker, registration=unit_reg, year=TODAY.year,
                                        grade="excellent", comment="响应及时，服务认真。")
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, detail="rate", object_id=str(unit_reg.pk)).exists()
    with pytest.raises(services.Conflict):
        services.registration_rate(user=c.community_worker, registration=unit_reg, year=TODAY.year, grade="good")
    assert YearlyRating.objects.get().grade == "excellent" == rating.grade

    client.force_login(c.community_worker)
    r = client.get(f"/lists/registrations/{unit_reg.pk}/ratings/{TODAY.year}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pages, text = pdf_text(r.content)
    assert pages == 1
    assert "驻区单位双报到年度评价" in text and "致：兴宁市供电局党委" in text
    assert f"兴宁市供电局于{TODAY.year}年度在{c.C.name}报到服务" in text
    assert "评价等次优秀" in text and "全年服务时长4.0小时" in text and "完成服务次数1" in text
    assert "社区评语响应及时，服务认真。" in text
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, detail="rating_sheet").count() == 1

    # The unit's contact may have the sheet too; someone with no tie to the registration may not.
    client.force_login(c.unit1)
    assert client.get(f"/lists/registrations/{unit_reg.pk}/ratings/{TODAY.year}.pdf").status_code == 200
    client.force_login(c.resident2)
    assert client.get(f"/lists/registrations/{unit_reg.pk}/ratings/{TODAY.year}.pdf").status_code == 404


@pytest.mark.parametrize("kw,field", [
    ({"grade": "superb"}, "grade"),
    ({"year": TODAY.year + 1}, "year"),
    ({"year": "去年"}, "year"),
    ({"comment": "长" * 501}, "comment"),
])
def test_bad_ratings_are_refused_and_nothing_is_written(lists, unit_reg, kw, field):
    data = {"year": TODAY.year, "grade": "good", **kw}
    with pytest.raises(ValidationError) as e:
        services.registration_rate(user=lists.community_worker, registration=unit_reg, **data)
    assert field in e.value.message_dict
    assert not YearlyRating.objects.exists()


def test_only_the_desk_rates_and_only_confirmed_registrations(lists, unit_reg):
    from django.http import Http404

    with pytest.raises(Http404):
        services.registration_rate(user=lists.unit1, registration=unit_reg, year=TODAY.year, grade="excellent")
    pending = services.registration_submit(user=lists.resident1, kind=RegistrationKind.MEMBER,
                                           compound=lists.K1.pk, work_unit="市一中")
    with pytest.raises(ValidationError) as e:
        services.registration_rate(user=lists.community_worker, registration=pending, year=TODAY.year, grade="good")
    assert e.value.message_dict["registration"] == ["只能评价已确认的报到"]
    assert not YearlyRating.objects.exists()


def test_rating_over_the_api_and_the_page(lists, unit_reg, api, client):
    c = lists
    url = f"/api/v1/registrations/{unit_reg.pk}/ratings"
    assert api.post(c.unit1, url, {"year": TODAY.year, "grade": "excellent"}).status_code == 404
    r = api.post(c.community_worker, url, {"year": TODAY.year, "grade": "good", "comment": "积极参与"})
    assert r.status_code == 201 and r.json()["grade_label"] == "良好"
    r = api.post(c.community_worker, url, {"year": TODAY.year, "grade": "excellent"})
    assert r.status_code == 409 and r.json()["detail"] == "该报到本年度已评价过。"
    assert [x["grade"] for x in api.get(c.unit1, url).json()] == ["good"]
    pdf = api.get(c.unit1, f"{url}/{TODAY.year}.pdf")
    assert pdf.status_code == 200 and "评价等次良好" in pdf_text(pdf.content)[1]
    assert api.get(c.unit1, f"{url}/{TODAY.year - 1}.pdf").status_code == 404

    member_reg = Registration.objects.get(kind=RegistrationKind.MEMBER)
    client.force_login(c.community_worker)
    page = client.get("/lists/registrations/").content.decode()
    assert "<title>双报到 · 共治</title>" in page  # the ratings are the page's, once, not in its head or title
    assert page.count(f'action="/lists/registrations/{member_reg.pk}/rate/"') == 1
    assert page.index("<main") < page.index(f'action="/lists/registrations/{member_reg.pk}/rate/"')
    assert f'href="/lists/registrations/{unit_reg.pk}/ratings/{TODAY.year}.pdf"' in page
    r = client.post(f"/lists/registrations/{member_reg.pk}/rate/", {"year": TODAY.year, "grade": "pass"})
    assert r.status_code == 302 and YearlyRating.objects.get(registration=member_reg).grade == "pass"
