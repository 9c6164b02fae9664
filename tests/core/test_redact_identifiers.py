"""One masking of free text (core.identity.redact_identifiers): every personal identifier, in every shape people
type it, is masked; ordinary text (dates, amounts, appeal and room numbers) is left as it is."""
import datetime
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.core.identity import id_check_digit, redact_identifiers

# Every bypass issue 7 listed (its ID number's check digit is wrong: masked all the same, a typo is still a person's), and the issue's own example, with what each must become.
BYPASSES = {
    "ID440102199001011237号": "ID440102********1237号",
    "身份证 440102 19900101 1237": "身份证 440102********1237",
    "440102-19900101-1237": "440102********1237",
    "139.1234.5678": "139****5678",
    # 0086 and a mobile whose middle digits read as a birth date are fifteen digits, not a 15-digit ID number.
    "电话008613001011000": "电话130****1000",
    "0086 130 0101 1000": "130****1000",
    "(139)1234-5678": "139****5678",
    "139/1234/5678": "139****5678",
    "phone:8613912345678": "phone:139****5678",
    "139\u200b12345678": "139****5678",
    "电话13912345678 身份证440102199001011237 楼道路灯坏了三天": "电话139****5678 身份证440102********1237 楼道路灯坏了三天",
    "+86 139 1234 5678": "139****5678",
    "0086-139-1234-5678": "139****5678",
    "（＋８６）１３９－１２３４－５６７８": "139****5678",
    "１３９\ufeff１２３４\u2060５６７８": "139****5678",
    "139\u3000\u200c1234\u200d5678": "139****5678",
    "幺三九一二三四五六七八": "139****5678",
    "我电话13912345678一直开着": "我电话139****5678一直开着",
    "44010219900101123x": "440102********123X",
    "老身份证440102900101123": "老身份证440102******123",
    "座机0753-2345678": "座机075****5678",
    "(020)87654321": "020****4321",
    "卡号6222 0212 3456 7890 123": "卡号6222***********0123",
    "卡号6222-0212-3456-7890": "卡号6222********7890",
    "13912345678/13812345678": "139****5678/138****5678",
}

# Text that is about nobody and must stay exactly as typed.
ORDINARY = [
    "2026-12-07 13:00 3栋1201室漏水",
    "诉求 20261207-361 已处理，请勿重复提交",
    "请查 20261207-1231456 和 20261231-12345678",
    "活动时间 2026.12.01-2026.12.31，地点党群驿站",
    "2026年12月7日至2026年12月31日",
    "物业费 1,234.56 元，押金 ¥300，共 12 户",
    "12栋2单元1503室，1号楼3楼",
    "订单号20261128123456789012",
    "房号1301，车位B2-035",
    "早上8:00-12:00，下午13:30-17:30",
    "第一二三期，三四五楼，一直没有人管",
    "",
]

# No deadline and no "too slow" check: the machine may be busy; a test must not fail for being slow.
CALM = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITS_FW = str.maketrans("0123456789", "０１２３４５６７８９")
# Whatever a person or a pasted text may put between two digits.
SEPARATORS = [" ", "-", ".", "/", "(", ")", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3000", "\u00a0",
              "－", "．", "／", "（", "）", "—", "\u00ad"]
PREFIXES = ["", "+86", "0086", "86", "+86 ", "(+86)", "+86-", "＋８６", "phone:", "电话", "手机：", "Tel.", "联系人手机"]
ID_PREFIXES = ["", "ID", "id:", "身份证", "身份证号：", "证件号码", "No."]
# Words around a number: no digit, so the number is the only one in the text.
AROUND = st.text(alphabet="楼道路灯坏了三天请联系我号码先生女士，。！ abcXYZ:", max_size=8).map(
    lambda s: s.strip(" "))


def digits_only(text):
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


@st.composite
def rendered(draw, digits):
    """The digits as a person might type them: each digit ASCII or full width, any gap of separators."""
    out = []
    for i, d in enumerate(digits):
        if i:
            out.append("".join(draw(st.lists(st.sampled_from(SEPARATORS), max_size=2))))
        out.append(d.translate(DIGITS_FW) if draw(st.booleans()) else d)
    return "".join(out)


mobiles = st.tuples(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9)).map(
    lambda t: "1" + t[0] + t[1])


@st.composite
def id_numbers(draw):
    region = draw(st.sampled_from(["110101", "440102", "441481", "310115", "510107", "652101"]))
    born = draw(st.dates(min_value=datetime.date(1920, 1, 1),
                         max_value=datetime.date(2025, 12, 31)))
    first17 = region + f"{born:%Y%m%d}" + draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    check = id_check_digit(first17)
    return first17 + (check.lower() if check == "X" and draw(st.booleans()) else check)


cards = st.integers(16, 19).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n - 2, max_size=n - 2)).map(
    lambda rest: "62" + rest)


@pytest.mark.parametrize("text,expected", BYPASSES.items())
def test_every_listed_bypass_is_masked(text, expected):
    assert redact_identifiers(text) == expected


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text):
    assert redact_identifiers(text) == text


def test_not_text_at_all():
    assert redact_identifiers(None) == "" and redact_identifiers(12) == "12"


@settings(max_examples=300, **CALM)
@given(before=AROUND, prefix=st.sampled_from(PREFIXES), number=mobiles.flatmap(
    lambda m: st.tuples(st.just(m), rendered(m))), after=AROUND)
def test_mobile_numbers_in_any_shape_are_masked(before, prefix, number, after):
    digits, typed = number
    out = redact_identifiers(f"{before}{prefix}{typed}{after}")
    assert digits not in digits_only(out)
    assert f"{digits[:3]}****{digits[7:]}" in out
    assert out.startswith(before) and out.endswith(after)


@settings(max_examples=300, **CALM)
@given(before=AROUND, prefix=st.sampled_from(ID_PREFIXES), number=id_numbers().flatmap(
    lambda n: st.tuples(st.just(n), rendered(n))), after=AROUND)
def test_id_numbers_in_any_shape_are_masked(before, prefix, number, after):
    digits, typed = number
    out = redact_identifiers(f"{before}{prefix}{typed}{after}")
    assert digits[:17] not in digits_only(out)
    assert f"{digits[:6]}********{digits[14:].upper()}" in out  # the birth date (7-14) never shows
    assert out.startswith(before + prefix) and out.endswith(after)


@settings(max_examples=200, **CALM)
@given(before=AROUND, number=cards.flatmap(lambda n: st.tuples(st.just(n), rendered(n))), after=AROUND)
def test_bank_card_numbers_in_any_shape_are_masked(before, number, after):
    digits, typed = number
    out = redact_identifiers(f"{before}{typed}{after}")
    masked = digits_only(out)
    assert digits not in masked and digits[4:-4] not in masked
    assert out.startswith(before) and out.endswith(after)


@settings(max_examples=200, **CALM)
@given(day=st.dates(min_value=datetime.date(2000, 1, 1),
                    max_value=datetime.date(2099, 12, 31)),
       pk=st.integers(1, 10**9), building=st.integers(1, 40), room=st.integers(101, 3208),
       amount=st.decimals(min_value=0, max_value=10**7, places=2))
def test_dates_amounts_appeal_and_room_numbers_stay_readable(day, pk, building, room, amount):
    texts = [f"{day:%Y%m%d}-{pk}", f"{day:%Y-%m-%d}", f"{day:%Y.%m.%d}", f"{day.year}年{day.month}月{day.day}日",
             f"{building}栋{room}", f"{building}号楼{room}室", f"{amount}元", f"¥{amount:,}",
             f"诉求{day:%Y%m%d}-{pk}：{building}栋{room}，{day:%Y-%m-%d} 9:30，费用{amount}元"]
    for text in texts:
        assert redact_identifiers(text) == text


def test_masked_text_masks_to_itself():
    for text in BYPASSES:
        once = redact_identifiers(text)
        assert redact_identifiers(once) == once


def test_keyed_digests_in_audit_changes_are_kept_whole():
    """A lookup's digest is hex, not typed text: one holding a run like a mobile number must stay comparable
    (the identifier-lookup audit is searched by it); text beside it is still masked."""
    from gongzhi.core.audit import masked

    digest = "ab" + "13812345678" + "c" * 51
    assert len(digest) == 64
    assert masked({"term_hash": digest, "note": "call 13812345678"}) == {
        "term_hash": digest, "note": "call 138****5678"}
