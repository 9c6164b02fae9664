"""Import files are bounded whatever they hold (issue 7, item 6).

A 300 KB .xlsx whose sharedStrings.xml unpacked to 300 MB took the worker to 2.7 GB; its header cell,
quoted whole in the "unknown column" error, put 314 MB in the job's errors, in GET /api/v1/imports/{id}
and on the job page. Now the archive is checked before any XML is parsed, every refusal says which limit
and why, and what the file can put in the job (cells, columns, rows, quoted text, errors) is bounded.
Bombs are built here, in the test.
"""
import csv
import io
import json
import re
import secrets
import struct
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError

from gongzhi.core.text import malformed_message
from gongzhi.people.imports import files, jobs
from gongzhi.people.imports.template import HEADERS
from gongzhi.people.models import ImportJob, ImportStatus
from test_import_export import upload, xlsx

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
HEADER_MISMATCH = "表头与导入模板不符（%s）。第1行应依次为：" + "、".join(HEADERS)
AGAIN = "。请用 Excel 重新另存为 .xlsx，或拆分后分批导入。"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def with_shared_strings(base, texts, cells):
    """`base` (an openpyxl workbook) with a shared-string table of `texts` (bytes, or callables writing
    into the part) and cells {"M1": index} pointing into it: as Excel writes text."""
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Target="sharedStrings.xml" '
                                    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                    b'sharedStrings"/></Relationships>')
            elif info.filename == "xl/worksheets/sheet1.xml":
                for ref, index in cells.items():  # the cell as written by openpyxl (inline) becomes a shared one
                    data, found = re.subn(rb'<c r="%s"[^>]*>.*?</c>' % ref.encode(),
                                          b'<c r="%s" t="s"><v>%d</v></c>' % (ref.encode(), index), data)
                    assert found == 1, ref
            zf.writestr(info, data)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in texts:
                part.write(b"<si><t>")
                text(part) if callable(text) else part.write(text)
                part.write(b"</t></si>")
            part.write(b"</sst>")
    return out.getvalue()


def the_issue_bomb(megabytes=300):
    """The issue's file: the template's header plus one column whose header is a shared string of
    `megabytes` MB of one letter (some 300 KB packed)."""
    def letters(part):
        chunk = b"A" * MB
        for _ in range(megabytes):
            part.write(chunk)
    return with_shared_strings(xlsx([["K1", "1", "101"]], headers=HEADERS + ["shared"]), [letters], {"M1": 0})


def start(user, data, name="residents.xlsx"):
    return jobs.import_start(user=user, upload=upload(data, name), dry_run=True)


def stored_job(user, data, kind="xlsx"):
    """A job over a file that reached the worker without the upload's checks (e.g. stored before them)."""
    path = jobs.imports_dir() / f"stored.{kind}"
    path.write_bytes(data)
    return ImportJob.objects.create(user=user, file_name=f"stored.{kind}", file_path=str(path), dry_run=True)


def run_measured(job):
    """Run a job's dry run; the peak of Python's heap meanwhile."""
    tracemalloc.start()
    try:
        jobs.import_run(job.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    job.refresh_from_db()
    return peak


def refusal(reason):
    return "不能导入：" + reason + AGAIN


# ---- the archive, checked before parsing ----------------------------------------------------------------


@pytest.fixture(scope="module")
def issue_bomb():
    data = the_issue_bomb()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert len(data) < 400 * 1024 and info.file_size > 300 * MB
    why = refusal(f"文件中的“xl/sharedStrings.xml”压缩比为{info.file_size // info.compress_size}倍，上限为100倍（疑似压缩炸弹）")
    return data, why


def test_the_issue_bomb_is_refused_at_upload_saying_why(cast, client, api, issue_bomb):
    data, why = issue_bomb
    r = client.post("/api/v1/imports", {"file": upload(data), "dry_run": "true"}, **api._headers(cast.community_worker))
    assert (r.status_code, r.json()["detail"]) == (400, f"file: {why}")
    assert len(r.content) < 1024
    client.force_login(cast.community_worker)
    r = client.post("/people/import/", {"file": upload(data)})
    assert r.status_code == 400 and why in r.content.decode()
    assert not ImportJob.objects.exists()


def test_the_issue_bomb_reaching_the_worker_is_refused_before_parsing(cast, issue_bomb):
    data, why = issue_bomb
    job = stored_job(cast.community_worker, data)
    peak = run_measured(job)
    assert job.status == ImportStatus.FAILED and job.error_count == 1
    assert job.errors == [{"row": None, "column": "", "message": why}]
    assert peak < 16 * MB, f"{peak / MB:.1f} MB"  # the bomb unpacks to 300 MB; it took the worker to 2.7 GB


def test_a_part_lying_about_its_size_inflates_no_further(cast):
    """A deflate bomb whose directory declares 1 KB: zipfile stops at the declared size and the CRC fails."""
    base = zipfile.ZipFile(io.BytesIO(xlsx([["K1", "1", "101"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in base.infolist():
            zf.writestr(info, base.read(info))
        zf.writestr("xl/media/filler.bin", b"\0" * (200 * MB))  # the last part
    data = bytearray(out.getvalue())
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # its local header, its directory record
        at = data.rfind(signature)
        data[at + size_at:at + size_at + 4] = struct.pack("<I", 1024)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/media/filler.bin").file_size == 1024
    job = stored_job(cast.community_worker, bytes(data))
    peak = run_measured(job)
    assert job.errors == [{"row": None, "column": "", "message": "不是有效的 Excel 文件（.xlsx）"}]
    assert peak < 16 * MB, f"{peak / MB:.1f} MB"


def test_too_many_parts_are_refused_from_the_end_record(cast):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(1001):
            zf.writestr(f"p{i}", b"")
    with pytest.raises(ValidationError) as refused:
        start(cast.community_worker, out.getvalue())
    assert refused.value.message_dict == {"file": [refusal("文件由1001个部件组成，上限为1000个（Excel 文件通常只有十几个）")]}

    # What the end record declares is judged before zipfile reads the directory into memory.
    data = bytearray(xlsx([["K1"]]))
    end = data.rfind(b"PK\x05\x06")
    for field, value, why in ((8, 65000, "文件由65000个部件组成，上限为1000个（Excel 文件通常只有十几个）"),
                              (12, 2 * MB, "文件的部件目录有2048 KB，上限为1000 KB")):
        patched = bytearray(data)
        patched[end + field:end + field + (2 if field == 8 else 4)] = struct.pack("<H" if field == 8 else "<I", value)
        if field == 8:  # the count of this disk and the total
            patched[end + 10:end + 12] = struct.pack("<H", value)
        with pytest.raises(ValidationError) as refused:
            start(cast.community_worker, bytes(patched))
        assert refused.value.message_dict == {"file": [refusal(why)]}


def test_what_it_unpacks_to_in_all_and_overall_ratio(cast, settings):
    data = xlsx([["K1", "1", "101"]])
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    settings.IMPORT_MAX_UNPACKED_BYTES = total - 1
    with pytest.raises(ValidationError) as refused:
        start(cast.community_worker, data)
    assert refused.value.message_dict == {"file": [refusal(f"文件解压后共{total / MB:.2f} MB，上限为{(total - 1) / MB:.2f} MB")]}

    # Many parts under the per-part threshold, inflating 500x each: the whole archive is judged too.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        for i in range(20):
            zf.writestr(f"xl/filler{i}.bin", b"\0" * (files.RATIO_FROM - 1))
    infos = zipfile.ZipFile(io.BytesIO(out.getvalue())).infolist()
    unpacked, packed = sum(i.file_size for i in infos), sum(i.compress_size for i in infos)
    settings.IMPORT_MAX_UNPACKED_BYTES = 150 * MB
    with pytest.raises(ValidationError) as refused:
        start(cast.community_worker, out.getvalue())
    assert refused.value.message_dict == {"file": [refusal(f"文件整体压缩比为{unpacked // packed}倍，上限为100倍（疑似压缩炸弹）")]}


def test_part_names_must_be_plain_and_unique(cast):
    base = zipfile.ZipFile(io.BytesIO(xlsx([["K1", "1", "101"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in base.infolist():
            zf.writestr(info, base.read(info))
        with pytest.warns(UserWarning):  # zipfile warns of a duplicate name
            zf.writestr("xl/workbook.xml", b"<workbook/>")
    with pytest.raises(ValidationError) as refused:
        start(cast.community_worker, out.getvalue())
    assert refused.value.message_dict == {"file": [refusal("文件中有无效或重复的部件名“xl/workbook.xml”")]}


def test_shared_texts_past_the_limit_and_dtds_are_refused_in_the_worker(cast, settings):
    settings.IMPORT_MAX_SHARED_STRINGS = 10
    eleven = with_shared_strings(xlsx([["K1"]]), [b"x%d" % i for i in range(11)], {})
    job = stored_job(cast.community_worker, eleven)
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == refusal("文件的共享文本表超过10条")

    src = zipfile.ZipFile(io.BytesIO(xlsx([["K1", "1", "101"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _declaration, body = data.rpartition(b"?>")  # after the XML declaration, if any
                data = head + _declaration + b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>' + body
            zf.writestr(info, data)
    job = stored_job(cast.community_worker, out.getvalue())
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == refusal("文件中的“xl/worksheets/sheet1.xml”含有 XML 实体声明（DTD），Excel 保存的文件不会有")


def test_an_ordinary_file_passes_every_check(cast):
    """Real files inflate about 10 times (the bench's 90,000 residents: 5.7 MB unpacking to 57 MB)."""
    rows = [["K1", "1", str(100 + i % 500), f"宁江新城一期1栋{i}", "", "", f"居民{i}", "", f"13{i:09d}", "", "", ""]
            for i in range(3000)]
    files.check_archive(io.BytesIO(xlsx(rows)))


# ---- what the file can put in the job ---------------------------------------------------------------------


def test_a_10_mb_unknown_header_cell_is_quoted_in_30_characters(cast, client, api):
    cell = secrets.token_hex(5 * MB)  # 10 MB of text that hardly compresses: it passes the archive checks
    # Written as Excel would, in the shared-string table (openpyxl cuts what it writes at 32,767 characters).
    data = with_shared_strings(xlsx([["K1", "1", "101"]], headers=HEADERS + ["big"]), [cell.encode()], {"M1": 0})
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml").file_size > 10 * MB > len(data)
    r = client.post("/api/v1/imports", {"file": upload(data), "dry_run": "true"}, **api._headers(cast.community_worker))
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert job.errors == [{"row": None, "column": "", "message": HEADER_MISMATCH % f"未知列：{cell[:30]}…"}]
    assert len(json.dumps(job.errors)) < 1024
    r = api.get(cast.community_worker, f"/api/v1/imports/{job.pk}")
    assert r.json()["error_count"] == 1 and len(r.content) < 2048
    client.force_login(cast.community_worker)
    assert len(client.get(f"/people/import/{job.pk}/").content) < 64 * 1024


def test_many_unknown_columns_are_named_five_at_a_time(cast):
    job = stored_job(cast.community_worker, xlsx([["K1"]], headers=HEADERS + [f"多余{i}" for i in range(50)]))
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == HEADER_MISMATCH % "未知列：多余0、多余1、多余2、多余3、多余4等50列"


def test_a_header_wider_than_64_columns_is_refused(cast):
    job = stored_job(cast.community_worker, xlsx([["K1"]], headers=HEADERS + [None] * 52 + ["第65列"]))
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == "表头超过64列，与导入模板不符（模板共12列）"


def test_100000_bad_rows_keep_500_errors_and_count_the_rest(cast, client, api):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS)
    for i in range(100_000):
        writer.writerow(["K1", "", str(i)])  # 楼栋编码 missing: one error a row
    r = client.post("/api/v1/imports", {"file": upload(buf.getvalue().encode(), "r.csv"), "dry_run": "true"},
                    **api._headers(cast.community_worker))
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert job.status == ImportStatus.FAILED and job.error_count == 100_000
    assert job.errors == [{"row": n, "column": "楼栋编码", "message": "必填"} for n in range(2, 502)]
    assert len(json.dumps(job.errors)) < 48 * 1024
    r = api.get(cast.community_worker, f"/api/v1/imports/{job.pk}")
    body = r.json()
    assert (body["error_count"], len(body["errors"]), body["errors_not_listed"]) == (100_000, 500, 99_500)
    assert len(r.content) < 64 * 1024
    more = "另有99500处错误未列出（只列出前500处）。请先改正以上错误，再重新上传检查。"
    client.force_login(cast.community_worker)
    page = client.get(f"/people/import/{job.pk}/").content.decode()
    assert more in page and len(page) < 160 * 1024
    report = client.get(f"/people/import/{job.pk}/errors.csv").content.decode("utf-8-sig").splitlines()
    assert len(report) == 502 and report[-1] == f",,{more}"
    assert jobs.error_lines(job)[-1] == more


def test_rows_past_the_limit_are_refused(cast, settings):
    settings.IMPORT_MAX_ROWS = 1000
    rows = [["K1", "1", str(i)] for i in range(1001)]
    job = stored_job(cast.community_worker, xlsx(rows))
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors == [{"row": None, "column": "", "message": "文件超过1000行（不含表头），请拆分后分批导入"}]
    csv_file = "\n".join([",".join(HEADERS)] + [f"K1,1,{i}" for i in range(1001)]).encode()
    job = stored_job(cast.community_worker, csv_file, "csv")  # a CSV has no dimension: counted while read
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == "文件超过1000行（不含表头），请拆分后分批导入"


def test_a_huge_cell_is_an_error_of_its_row_quoting_nothing(cast):
    note = "很长的备注" * 12_000  # 60,000 characters
    job = stored_job(cast.community_worker, xlsx([["K1", "1", "101", "地址", "", "", "张三", "", "", "", "", note]]))
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors == [{"row": 2, "column": "备注", "message": "备注不能超过500个字"}]


@pytest.mark.parametrize("content,message", [
    (b"x" * (9 * MB), "文件第1行超过65536个字符，不是导入模板的格式"),                  # one huge line
    (b"," * (9 * MB), "文件第1行超过65536个字符，不是导入模板的格式"),                  # separators only
    ((b"," * 1000 + b"\n") * 5000, "文件是空的：第1行应为表头（请使用导入模板）"),      # lines of separators
    (",".join(HEADERS).encode() + b'\nK1,1,101,"' + (b"x" * 60_000 + b"\n") * 3 + b'"\n', "第2行有单元格过长"),
])
def test_csv_lines_and_cells_are_bounded(cast, content, message):
    job = stored_job(cast.community_worker, content, "csv")
    peak = run_measured(job)
    assert job.errors == [{"row": None, "column": "", "message": message}]
    assert peak < 32 * MB, f"{peak / MB:.1f} MB"


# ---- text that cannot be stored, in cells ---------------------------------------------------------------------


def test_a_replacement_character_in_a_cell_is_an_error_of_its_row(cast):
    job = stored_job(cast.community_worker, xlsx([["K1", "1", "101", "地址", "", "", "张\ufffd三"]]))
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors == [{"row": 2, "column": "姓名", "message": malformed_message()}]
    data = (",".join(HEADERS) + "\nK1,1,101,地址\ufffd,,,张三\n").encode()
    job = stored_job(cast.community_worker, data, "csv")
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors == [{"row": 2, "column": "地址", "message": malformed_message()}]


def test_a_csv_with_cesu_surrogates_is_not_text(cast):
    data = (",".join(HEADERS) + "\nK1,1,101,地址,,,张").encode() + b"\xed\xa0\x80\n"
    job = stored_job(cast.community_worker, data, "csv")
    jobs.import_run(job.pk)
    job.refresh_from_db()
    assert job.errors[0]["message"] == "不是有效的 CSV 文件：无法识别文字编码，请另存为 UTF-8 或 GB18030 编码"
