"""Import and export of households and residents (issue item 7), through the API, the pages and the service."""
import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.accounts.models import Role
from gongzhi.core.crypto import lookup_hash
from gongzhi.core.identity import id_check_digit
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.grid.models import Building, Household
from gongzhi.people.imports import jobs
from gongzhi.people.imports.rows import cell_text
from gongzhi.people.imports.template import HEADERS
from gongzhi.people.models import ImportJob, ImportStatus, Relation, Resident
from gongzhi.people.capability import EXPORT



def make_id(first17):
    return first17 + id_check_digit(first17)


ID_A = make_id("44148119850607101")
ID_B = make_id("44148119870809202")
ID_C = make_id("44148120150101303")


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def xlsx(rows, headers=HEADERS):
    wb = openpyxl.Workbook()
    ws = wb.active
    if headers is not None:
        ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, headers=HEADERS, encoding="utf-8-sig"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode(encoding)


def row(compound="K1", building="1", room="301", address="宁江新城一期1栋301", area="88.8", tenure="业主自住",
        name="赵一", id_number=ID_A, phone="13811112222", relation="户主", tags="", note=""):
    return [compound, building, room, address, area, tenure, name, id_number, phone, relation, tags, note]


GOOD = [
    row(),
    row(name="钱二", id_number=ID_B, phone="13922223333", relation="配偶", tags="独居老人"),
    row(name="孙三", id_number=ID_C, phone="", relation="子女", tags="elderly_alone、低保户", note="学生"),
    row(building="9", room="901", address="宁江新城一期9栋901", area="", tenure="空置", name="", id_number="",
        phone="", relation=""),
]


def upload(data, name="residents.xlsx"):
    return SimpleUploadedFile(name, data)


def run(user, data, name="residents.xlsx", dry_run=True):
    return jobs.import_start(user=user, upload=upload(data, name), dry_run=dry_run)


def api_upload(client, api, user, data, name="residents.xlsx", dry_run=True):
    headers = api._headers(user)
    return client.post("/api/v1/imports", {"file": upload(data, name), "dry_run": "true" if dry_run else "false"},
                       **headers)


def counts():
    return (Household.objects.count(), Resident.objects.count(), Building.objects.count(),
            Resident.tags.through.objects.count())


def messages(job):
    return jobs.error_lines(job)


# ---- happy paths --------------------------------------------------------------------------------


def test_xlsx_dry_run_then_confirm_through_the_api(cast, client, api):
    before = counts()
    r = api_upload(client, api, cast.community_worker, xlsx(GOOD))
    assert r.status_code == 201, r.content
    job = r.json()
    assert job["status"] == "checked", job["errors"]
    assert job["dry_run"] is True
    assert job["counts"] == {"households_created": 2, "households_updated": 0,
                             "residents_created": 3, "residents_updated": 0}
    assert job["progress"]["rows_done"] == job["progress"]["rows_total"] == 4
    assert counts() == before, "a dry run writes nothing"
    checked = AuditEntry.objects.get(action=AuditAction.IMPORT)  # the check is recorded (test_import_dry_run_audit)
    assert checked.changes["dry_run"] is True

    r = api.post(cast.community_worker, f"/api/v1/imports/{job['id']}/confirm")
    assert r.status_code == 200, r.content
    done = r.json()
    assert done["status"] == "done"
    assert done["counts"]["residents_created"] == 3

    h = Household.objects.get(building__compound=cast.K1, building__code="1", code="301")
    assert h.floor_area == Decimal("88.80") and h.tenure == "owner" and h.address == "宁江新城一期1栋301"
    zhao = Resident.objects.get(id_number_hash=lookup_hash(ID_A))
    assert zhao.name == "赵一" and zhao.household == h and zhao.relation == Relation.HEAD
    assert zhao.id_number_clear() == ID_A and zhao.phone_clear() == "13811112222"
    assert zhao.id_number_enc != ID_A and zhao.birth_date.isoformat() == "1985-06-07"
    sun = Resident.objects.get(id_number_hash=lookup_hash(ID_C))
    assert sorted(sun.tags.values_list("code", flat=True)) == ["dibao", "elderly_alone"]
    assert sun.note == "学生" and sun.phone_enc == ""
    # A building unknown in an existing compound is created; a household may have no residents.
    b9 = Building.objects.get(compound=cast.K1, code="9")
    assert b9.name == "9栋"
    assert Household.objects.get(building=b9, code="901").members.count() == 0

    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).exclude(pk=checked.pk).get()
    assert entry.user == cast.community_worker and entry.success and "dry_run" not in entry.changes
    assert entry.changes["households_created"] == 2 and entry.changes["residents_created"] == 3
    assert entry.object_id == str(job["id"])
    # The stored upload is removed once the import is done.
    assert not list((jobs.imports_dir()).glob("*.xlsx"))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_import_in_each_encoding(cast, encoding):
    job = run(cast.community_worker, csv_bytes(GOOD, encoding=encoding), name="r.csv", dry_run=False)
    assert job.status == ImportStatus.DONE, job.errors
    assert job.residents_created == 3 and job.households_created == 2
    assert Resident.objects.get(id_number_hash=lookup_hash(ID_B)).name == "钱二"


def test_reimport_updates_instead_of_duplicating(cast):
    run(cast.community_worker, xlsx(GOOD), dry_run=False)
    after_first = counts()
    changed = [list(r) for r in GOOD]
    changed[0][8] = "13899990000"      # new phone
    for r in changed[:3]:
        r[4] = "90.5"                  # area of their household
    changed[2][10] = "无"               # clear tags
    job = run(cast.community_worker, xlsx(changed), dry_run=False)
    assert job.status == ImportStatus.DONE, job.errors
    assert counts()[:3] == after_first[:3]
    assert (job.households_created, job.residents_created) == (0, 0)
    assert job.households_updated == 1 and job.residents_updated == 2
    zhao = Resident.objects.get(id_number_hash=lookup_hash(ID_A))
    assert zhao.phone_clear() == "13899990000"
    assert Household.objects.get(building__compound=cast.K1, building__code="1", code="301").floor_area == Decimal("90.50")
    assert not Resident.objects.get(id_number_hash=lookup_hash(ID_C)).tags.exists()
    entries = AuditEntry.objects.filter(action=AuditAction.IMPORT).order_by("id")
    assert entries.count() == 2
    assert entries.last().changes["residents_updated"] == 2

    # The very same file a third time: nothing changes at all.
    job = run(cast.community_worker, xlsx(changed), dry_run=False)
    assert (job.households_updated, job.residents_updated, job.residents_created) == (0, 0, 0)


def test_rows_of_one_household_must_agree(cast):
    rows = [row(), row(name="钱二", id_number=ID_B, area="90")]
    job = run(cast.community_worker, xlsx(rows))
    assert messages(job) == ["第3行 专有面积(㎡)：与第2行同一户的专有面积(㎡)不一致"]


def test_existing_resident_found_by_id_number_is_moved_not_duplicated(cast):
    id_r1 = cast.R1.id_number_clear()
    job = run(cast.community_worker, xlsx([row(room="101", address="宁江新城一期1栋101", name="张伟",
                                                id_number=id_r1, phone="")]), dry_run=False)
    assert job.status == ImportStatus.DONE, job.errors
    assert job.residents_created == 0
    cast.R1.refresh_from_db()
    assert cast.R1.household == cast.H1 and cast.R1.phone_clear() == "13800135678", "empty cells change nothing"


# ---- bad files ----------------------------------------------------------------------------------


def test_wrong_columns_are_one_clear_error(cast):
    headers = [h for h in HEADERS if h not in ("身份证号", "房号")] + ["年龄"]
    job = run(cast.community_worker, xlsx([["K1"] * len(headers)], headers=headers))
    assert job.status == ImportStatus.FAILED
    assert len(job.errors) == 1
    msg = job.errors[0]["message"]
    assert "缺少列：房号、身份证号" in msg and "未知列：年龄" in msg


def test_bad_id_check_digit_names_row_and_column(cast, client, api):
    bad = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")
    rows = [row(), row(name="钱二", id_number=bad)]
    r = api_upload(client, api, cast.community_worker, xlsx(rows))
    job = r.json()
    assert job["status"] == "failed"
    assert job["errors"] == [{"row": 3, "column": "身份证号", "message": "身份证号校验位错误"}]
    assert messages(ImportJob.objects.get(pk=job["id"])) == ["第3行 身份证号：身份证号校验位错误"]


def test_duplicate_id_numbers_name_the_earlier_row(cast, settings):
    settings.IMPORT_BATCH_SIZE = 2  # the duplicate is in a later batch than the first occurrence
    rows = [row(), row(name="钱二", id_number=ID_B), row(name="李四", id_number=ID_C, room="302"),
            row(name="赵一", id_number=ID_A, room="303"), row(name="钱二", id_number=ID_B)]
    job = run(cast.community_worker, xlsx(rows))
    assert job.status == ImportStatus.FAILED
    assert messages(job) == ["第5行 身份证号：身份证号与第2行重复", "第6行 身份证号：身份证号与第3行重复"]


@pytest.mark.parametrize("dry_run", [True, False])
def test_duplicate_id_numbers_in_one_batch_name_the_rows(cast, dry_run):
    # Both rows would create a resident in the same batch: the second must be refused by name, not reach the
    # database's unique ID hash and end the run as an unexpected error. A lower-case x is the same number.
    id_x = make_id("44148119900101103")
    assert id_x.endswith("X")
    rows = [row(), row(name="钱二", id_number=ID_B), row(name="赵一", id_number=ID_A, room="302"),
            row(name="周五", id_number=id_x, room="303"), row(name="周五", id_number=id_x.lower(), room="304"),
            row(name="张伟", id_number=cast.R1.id_number_clear(), room="101", address="宁江新城一期1栋101"),
            row(name="张伟", id_number=cast.R1.id_number_clear(), room="305")]
    before = counts()
    job = run(cast.community_worker, xlsx(rows), dry_run=dry_run)
    assert job.status == ImportStatus.FAILED
    assert messages(job) == ["第4行 身份证号：身份证号与第2行重复", "第6行 身份证号：身份证号与第5行重复",
                             "第8行 身份证号：身份证号与第7行重复"]
    assert counts() == before


def test_every_bad_row_is_reported(cast):
    rows = [
        row(phone="1381111222"),                                   # 2: mobile
        row(name="钱二", id_number=ID_B, area="九十"),               # 3: area
        row(name="孙三", id_number=ID_C, tags="独居老人,外星人"),       # 4: tag
        row(room="302", name="周四", id_number="", relation="表亲"),  # 5: relation
        row(room="303", tenure="出租", name="", id_number="", phone="", relation=""),  # 6: tenure
        row(room="304", name="", id_number=make_id("11010519900307123")),  # 7: name missing with ID
        row(compound="", room="305"),                              # 8: compound missing
        row(room="306", address="", name="吴六", id_number=""),      # 9: new household without address
    ]
    job = run(cast.community_worker, xlsx(rows))
    assert job.status == ImportStatus.FAILED
    got = [(e["row"], e["column"]) for e in job.errors]
    assert got == [(2, "手机号"), (3, "专有面积(㎡)"), (4, "关注标签"), (5, "与户主关系"), (6, "产权状态"),
                   (7, "姓名"), (8, "小区编码"), (9, "地址")]
    assert "未知标签：外星人" in job.errors[2]["message"]
    assert job.errors[5]["message"] == "填写了身份证号时姓名必填"


def test_id_number_stored_as_a_number_is_explained(cast):
    rows = [row(id_number=int(ID_A[:15]) * 1000)]
    job = run(cast.community_worker, xlsx(rows))
    assert job.errors[0]["column"] == "身份证号" and "文本格式" in job.errors[0]["message"]


def test_a_20_mb_file_is_rejected_before_parsing(cast, client, api, settings):
    assert settings.IMPORT_MAX_BYTES == 10 * 1024 * 1024
    big = b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024)
    r = api_upload(client, api, cast.community_worker, big)
    assert r.status_code == 400
    assert r.json()["field"] == "file" and "文件过大" in r.json()["detail"] and "10 MB" in r.json()["detail"]
    assert not ImportJob.objects.exists()
    assert not list(jobs.imports_dir().iterdir())


@pytest.mark.parametrize("data", [b"name,id\nfoo,bar\n", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"])
def test_non_spreadsheet_renamed_xlsx(cast, client, api, data):
    r = api_upload(client, api, cast.community_worker, data, name="residents.xlsx")
    assert r.status_code == 400
    assert "不是有效的 Excel 文件" in r.json()["detail"]


def test_zip_that_is_not_a_workbook(cast):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(ValidationError) as refused:  # the archive is checked as it is uploaded
        run(cast.community_worker, buf.getvalue())
    assert refused.value.message_dict == {"file": ["不是有效的 Excel 文件（.xlsx）"]}
    assert not ImportJob.objects.exists()


def test_empty_file_empty_sheet_and_header_only(cast, client, api):
    r = api_upload(client, api, cast.community_worker, b"")
    assert r.status_code == 400 and "文件是空的" in r.json()["detail"]
    r = api_upload(client, api, cast.community_worker, b"", name="r.csv")
    assert r.status_code == 400 and "文件是空的" in r.json()["detail"]

    job = run(cast.community_worker, xlsx([], headers=None))
    assert job.status == ImportStatus.FAILED and "工作表是空的" in job.errors[0]["message"]
    job = run(cast.community_worker, xlsx([]))
    assert job.status == ImportStatus.FAILED and job.errors[0]["message"] == "文件只有表头，没有数据行"
    job = run(cast.community_worker, csv_bytes([]), name="r.csv")
    assert job.errors[0]["message"] == "文件只有表头，没有数据行"
    job = run(cast.community_worker, "\n\n".encode(), name="r.csv")
    assert "文件是空的" in job.errors[0]["message"]


def test_wrong_extension_and_old_xls(cast, client, api):
    r = api_upload(client, api, cast.community_worker, b"hello", name="r.txt")
    assert r.status_code == 400 and ".xlsx" in r.json()["detail"]
    r = api_upload(client, api, cast.community_worker, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert r.status_code == 400 and ".xls" in r.json()["detail"]


def test_nothing_written_when_one_row_of_many_is_bad(cast, settings):
    settings.IMPORT_BATCH_SIZE = 7
    rows = [row(room=str(400 + i), address=f"地址{i}", name=f"居民{i}",
                id_number=make_id(f"440000199001{i % 28 + 1:02d}{i:03d}"), phone="") for i in range(40)]
    rows.append(row(building="77", room="7701", name="坏行", id_number=ID_A[:-1] + "Y"))
    rows += [row(room=str(500 + i), address=f"地址b{i}", name="", id_number="", phone="", relation="")
             for i in range(10)]
    before = counts()
    job = run(cast.community_worker, xlsx(rows), dry_run=False)
    assert job.status == ImportStatus.FAILED
    assert [e["row"] for e in job.errors] == [42]
    assert counts() == before, "households, residents, buildings and tags all unchanged"
    assert not Building.objects.filter(code="77").exists()
    assert job.residents_created == 0
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.success is False


def test_out_of_scope_compound_reads_like_an_unknown_one(cast):
    rows = [row(compound="K3", room="101", address="x", name="", id_number="", phone="", relation=""),
            row(compound="K9", room="101", address="x", name="", id_number="", phone="", relation="")]
    job = run(cast.community_worker, xlsx(rows), dry_run=False)
    assert job.status == ImportStatus.FAILED
    assert [e["message"] for e in job.errors] == ["小区编码不存在或不在您的管辖范围内：K3",
                                                 "小区编码不存在或不在您的管辖范围内：K9"]


def test_resident_of_another_scope_is_not_taken_over(cast):
    """The ID number of a resident living in K3 cannot be imported into K1 by a worker of community C."""
    rows = [row(id_number=cast.R3.id_number_clear(), name="刘洋")]
    job = run(cast.community_worker, xlsx(rows), dry_run=False)
    assert job.errors == [{"row": 2, "column": "身份证号", "message": "该身份证号已登记在其他居民名下"}]
    cast.R3.refresh_from_db()
    assert cast.R3.household == cast.H3


# ---- progress -----------------------------------------------------------------------------------


def test_progress_reaches_the_total_and_is_reported(cast, client, api):
    rows = [row(room=str(600 + i), address=f"地址{i}", name="", id_number="", phone="", relation="") for i in range(25)]
    job = run(cast.community_worker, xlsx(rows))
    assert job.rows_total == job.rows_done == 25
    r = api.get(cast.community_worker, f"/api/v1/imports/{job.pk}")
    assert r.json()["progress"] == {"rows_done": 25, "rows_total": 25, "percent": 100}
    client.force_login(cast.community_worker)
    page = client.get(f"/people/import/{job.pk}/progress/").content.decode()
    assert "检查通过" in page and "hx-trigger" not in page


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(cast, settings, monkeypatch):
    """Each batch publishes rows_done where another process can read it, before the import commits."""
    settings.IMPORT_BATCH_SIZE = 5
    seen = []
    real_report = jobs.ProgressChannel.report

    def spy(self, rows_done):
        real_report(self, rows_done)
        job = ImportJob.objects.get(pk=self.job_id)  # a fresh read, as the web process would do
        seen.append((jobs.live_rows_done(job), job.rows_total, job.status))

    monkeypatch.setattr(jobs.ProgressChannel, "report", spy)
    rows = [row(room=str(700 + i), address=f"地址{i}", name="", id_number="", phone="", relation="") for i in range(12)]
    job = run(cast.community_worker, xlsx(rows), dry_run=False)
    assert job.status == ImportStatus.DONE
    assert seen == [(5, 12, "running"), (10, 12, "running"), (12, 12, "running")]
    job.refresh_from_db()
    assert (job.rows_done, job.rows_total) == (12, 12)


# ---- export -------------------------------------------------------------------------------------


def read_xlsx(content):
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def streamed(response):
    return b"".join(response.streaming_content)


def test_export_escapes_formula_cells(cast, client, api):
    cast.R1.note = "=cmd|' /C calc'!A0"
    cast.R1.save()
    cast.H1.address = "@SUM(1+1)*cmd|' /C calc'!A0"
    cast.H1.save()
    r = api.get(cast.community_worker, "/api/v1/exports/residents.xlsx", compound=cast.K1.pk)
    assert r.status_code == 200, r.content
    rows = read_xlsx(streamed(r))
    assert rows[0] == HEADERS
    zhang = next(x for x in rows if x[6] == "张伟")
    assert zhang[11] == "'=cmd|' /C calc'!A0"
    assert zhang[3].startswith("'@")
    r = api.get(cast.community_worker, "/api/v1/exports/residents.csv", compound=cast.K1.pk)
    text = streamed(r).decode("utf-8-sig")
    zhang = next(x for x in csv.reader(io.StringIO(text)) if x[6] == "张伟")
    assert zhang[11].startswith("'=") and zhang[3].startswith("'@")
    assert cell_text(zhang[11]) == cast.R1.note, "the import removes the escape again"


def test_export_in_clear_for_revealers(cast, api):
    r = api.get(cast.community_worker, "/api/v1/exports/residents.csv")
    rows = list(csv.reader(io.StringIO(streamed(r).decode("utf-8-sig"))))
    assert {x[0] for x in rows[1:]} == {"K1", "K2"}, "only the user's scope"
    zhang = next(x for x in rows if x[6] == "张伟")
    assert zhang[7] == cast.R1.id_number_clear() and zhang[8] == "13800135678"
    households = {(x[0], x[2]) for x in rows[1:]}
    assert households == {("K1", "101"), ("K1", "102"), ("K2", "101")}


@pytest.fixture
def property_exports(grant_role):
    """A role that may export but not reveal (none of the shipped roles is one; the policy allows it)."""
    grant_role(Role.PROPERTY_STAFF, EXPORT)


def test_export_masks_for_users_without_reveal(cast, api, property_exports):
    cast.R1.tags.add(cast.tag_dibao, cast.tag_elderly)
    r = api.get(cast.property1, "/api/v1/exports/residents.xlsx")
    assert r.status_code == 200, r.content
    rows = read_xlsx(streamed(r))
    zhang = next(x for x in rows if x[6] == "张伟")
    assert zhang[7] == cast.R1.id_number_masked and "*" in zhang[7]
    assert zhang[8] == "138****5678"
    assert zhang[10] == "独居老人", "sensitive tags are not exported without reveal"
    assert all(cast.R1.id_number_clear() not in str(cell) for x in rows for cell in x)
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("id")
    assert entry.changes["clear_fields"] == [] and entry.user == cast.property1

    # Importing that masked file (as a worker who may import) leaves the clear values and the hidden tag as they are.
    before = {r.pk: (r.id_number_enc, r.phone_enc, sorted(r.tags.values_list("code", flat=True)))
              for r in Resident.objects.all()}
    job = run(cast.community_worker, streamed(api.get(cast.property1, "/api/v1/exports/residents.xlsx")), dry_run=False)
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.residents_created, job.residents_updated, job.households_updated) == (0, 0, 0)
    after = {r.pk: (r.id_number_enc, r.phone_enc, sorted(r.tags.values_list("code", flat=True)))
             for r in Resident.objects.all()}
    assert after == before


def test_round_trip_export_import_changes_nothing(cast, api):
    cast.R1.tags.add(cast.tag_dibao)
    cast.R1b.note = "+86 备用号码"
    cast.R1b.save()
    snapshot = lambda: (  # noqa: E731
        sorted(Household.objects.values_list("pk", "code", "address", "floor_area", "tenure", "building_id")),
        sorted(Resident.objects.values_list("pk", "name", "household_id", "relation", "note", "id_number_hash",
                                            "phone_hash")),
        sorted(Resident.tags.through.objects.values_list("resident_id", "tag_id")))
    before = snapshot()
    for fmt, name in (("xlsx", "export.xlsx"), ("csv", "export.csv")):
        data = streamed(api.get(cast.community_worker, f"/api/v1/exports/residents.{fmt}"))
        job = run(cast.community_worker, data, name=name, dry_run=False)
        assert job.status == ImportStatus.DONE, job.errors
        assert (job.households_created, job.households_updated, job.residents_created, job.residents_updated) == (0, 0, 0, 0)
        assert snapshot() == before


def test_export_and_import_are_audited(cast, api):
    api.get(cast.community_worker, "/api/v1/exports/residents.csv", compound=cast.K2.pk)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.changes["filter"] == {"compound": "K2"} and entry.changes["rows"] == 1
    assert entry.changes["format"] == "csv" and entry.changes["clear_fields"] == ["id_number", "phone"]
    run(cast.community_worker, xlsx(GOOD), dry_run=False)
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.changes["rows"] == 4 and entry.changes["residents_created"] == 3


def test_export_of_out_of_scope_compound_is_404(cast, api):
    assert api.get(cast.community_worker, "/api/v1/exports/residents.csv", compound=cast.K3.pk).status_code == 404


# ---- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["property1", "resident1", "grid_worker", "rider1", "nobody"])
def test_non_importers_get_404(cast, client, api, who):
    user = getattr(cast, who)
    assert api_upload(client, api, user, xlsx(GOOD)).status_code == 404
    assert api.get(user, "/api/v1/exports/residents.xlsx").status_code == 404
    job = run(cast.community_worker, xlsx(GOOD))
    assert api.get(user, f"/api/v1/imports/{job.pk}").status_code == 404
    assert api.post(user, f"/api/v1/imports/{job.pk}/confirm").status_code == 404
    client.force_login(user)
    for url in ("/people/import/", f"/people/import/{job.pk}/", f"/people/import/{job.pk}/progress/",
                "/people/export/", "/people/import/template/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/people/import/{job.pk}/confirm/").status_code == 404
    assert client.post("/people/import/", {"file": upload(xlsx(GOOD))}).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED


def test_a_job_is_visible_only_to_its_creator(cast, api, client):
    job = run(cast.community_worker, xlsx(GOOD))
    assert api.get(cast.street_admin, f"/api/v1/imports/{job.pk}").status_code == 404
    assert api.post(cast.street_admin, f"/api/v1/imports/{job.pk}/confirm").status_code == 404
    assert api.get(cast.community_worker, f"/api/v1/imports/{job.pk}").status_code == 200
    cast.street_admin.is_superuser = True
    cast.street_admin.save()
    assert api.get(cast.street_admin, f"/api/v1/imports/{job.pk}").status_code == 200


def test_confirm_only_a_checked_dry_run(cast, api):
    job = run(cast.community_worker, xlsx([row(phone="123")]))
    r = api.post(cast.community_worker, f"/api/v1/imports/{job.pk}/confirm")
    assert r.status_code == 409
    job = run(cast.community_worker, xlsx(GOOD))
    assert api.post(cast.community_worker, f"/api/v1/imports/{job.pk}/confirm").json()["status"] == "done"
    assert api.post(cast.community_worker, f"/api/v1/imports/{job.pk}/confirm").status_code == 409


# ---- pages --------------------------------------------------------------------------------------


def test_pages_upload_check_confirm(cast, client):
    client.force_login(cast.community_worker)
    page = client.get("/people/import/")
    assert page.status_code == 200
    assert "上传并检查" in page.content.decode() and "宁江新城二期" in page.content.decode()

    r = client.post("/people/import/", {"file": upload(xlsx(GOOD))})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert "检查通过" in page and "确认导入" in page
    assert Resident.objects.filter(id_number_hash=lookup_hash(ID_A)).count() == 0

    r = client.post(f"/people/import/{job.pk}/confirm/")
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "导入完成" in page
    assert Resident.objects.filter(id_number_hash=lookup_hash(ID_A)).count() == 1


def test_page_shows_the_error_report(cast, client):
    client.force_login(cast.community_worker)
    bad = ID_B[:-1] + ("0" if ID_B[-1] != "0" else "1")
    r = client.post("/people/import/", {"file": upload(xlsx([row(), row(name="钱二", id_number=bad)]))}, follow=True)
    page = r.content.decode()
    assert "身份证号校验位错误" in page and "<td class=\"num\">3</td>" in page
    job = ImportJob.objects.get()
    report = client.get(f"/people/import/{job.pk}/errors.csv").content.decode("utf-8-sig")
    assert "3,身份证号,身份证号校验位错误" in report

    r = client.post("/people/import/", {"file": upload(b"x" * 100)})
    assert r.status_code == 400 and "不是有效的 Excel 文件" in r.content.decode()


def test_page_export_and_template(cast, client):
    client.force_login(cast.community_worker)
    r = client.get("/people/export/", {"format": "xlsx", "compound": cast.K1.pk})
    assert r.status_code == 200
    rows = read_xlsx(b"".join(r.streaming_content))
    assert len(rows) == 1 + 3 and {x[0] for x in rows[1:]} == {"K1"}
    assert client.get("/people/export/", {"format": "pdf"}).status_code == 400
    assert client.get("/people/export/", {"compound": "abc"}).status_code == 404

    r = client.get("/people/import/template/")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS and wb.worksheets[0].max_row == 1
    assert wb.sheetnames == ["导入", "说明"]
    example = [r[3] for r in wb["说明"].iter_rows(min_row=2, max_row=13, values_only=True)]
    # The example row of the 说明 sheet is itself valid.
    job = run(cast.community_worker, xlsx([example]))
    assert job.status == ImportStatus.CHECKED, job.errors


def test_running_job_page_polls_and_shows_live_progress(cast, client):
    from django.db import connection

    job = run(cast.community_worker, xlsx(GOOD))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, rows_total=100, rows_done=40)
    client.force_login(cast.community_worker)
    page = client.get(f"/people/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and f"/people/import/{job.pk}/progress/" in page
    assert "40 / 100" in page
    if connection.vendor == "sqlite":  # what a running import publishes while its transaction is open
        jobs.progress_file(job.pk).write_text("60")
        assert "60 / 100" in client.get(f"/people/import/{job.pk}/progress/").content.decode()
    r = client.get(f"/people/import/{job.pk}/progress/")
    assert r.status_code == 200 and "no-cache" in r["Cache-Control"]


def test_polling_does_not_keep_the_session_alive(cast, client):
    from django.contrib.sessions.models import Session

    job = run(cast.community_worker, xlsx(GOOD))
    client.force_login(cast.community_worker)
    client.get("/people/import/")
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    client.get(f"/people/import/{job.pk}/progress/")
    assert Session.objects.get(session_key=key).expire_date == before
    client.get("/people/import/")
    assert Session.objects.get(session_key=key).expire_date > before


def test_ids_out_of_range_are_404(cast, api):
    huge = 10 ** 30
    assert api.get(cast.community_worker, f"/api/v1/imports/{huge}").status_code == 404
    assert api.get(cast.community_worker, "/api/v1/exports/residents.csv", compound=huge).status_code == 404
