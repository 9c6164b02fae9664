"""Validation, normalisation and masking of ID numbers and mobile numbers."""
import datetime
import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def normalise_id_number(value: str) -> str:
    # NFKC turns the full-width digits a Chinese input method types into ASCII ones.
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> str:
    """Return the normalised 18-digit ID number or raise ValidationError (GB 11643)."""
    v = normalise_id_number(value)
    if not _ID_RE.match(v):
        raise ValidationError(_("身份证号应为18位（最后一位可为X）"), code="id_format")
    try:
        datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效"), code="id_birthdate")
    if id_check_digit(v[:17]) != v[17]:
        raise ValidationError(_("身份证号校验位错误"), code="id_checksum")
    return v


def birth_date_from_id(v: str) -> datetime.date:
    return datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def gender_from_id(v: str) -> str:
    return "M" if int(v[16]) % 2 else "F"


def normalise_mobile(value: str) -> str:
    v = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or "").strip())
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def validate_mobile(value: str) -> str:
    v = normalise_mobile(value)
    if not _MOBILE_RE.match(v):
        raise ValidationError(_("手机号应为11位中国大陆手机号码"), code="mobile_format")
    return v


def mask_id_number(v: str) -> str:
    """Keep the region (1-6) and the last four; birth date and sequence are hidden."""
    if not v:
        return ""
    return v[:6] + "*" * 8 + v[14:] if len(v) == 18 else "*" * len(v)


def mask_mobile(v: str) -> str:
    if not v:
        return ""
    return v[:3] + "****" + v[7:] if len(v) == 11 else "*" * len(v)


# Two-character surnames: a masked name keeps the whole surname and hides the rest.
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
                     "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "申屠", "太史")


def mask_name(name):
    """张三丰 → 张**; 欧阳娜娜 → 欧阳**; an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "*" * max(1, len(name) - len(surname))


# ---- identifiers inside free text -----------------------------------------------------------------------
#
# People type their numbers into appeals, notes and searches in every shape an input method or a chat app
# allows: "139 1234 5678", "139-1234-5678", "(139)1234-5678", "139.1234.5678", "+86 139…", "phone:86139…",
# full-width "１３９…", a zero-width space pasted between the digits, "ID440102…号" glued to the words around
# it, "幺三九…" as a number is spoken. The text is read on a copy of the same length, one character for one,
# so that a match's place in the copy is its place in the text: every decimal digit (full-width,
# Arabic-Indic…) as an ASCII digit, compatibility forms (＋（）－．／, the ideographic space) as their plain
# form, and every invisible character (format characters, combining marks) as a separator.

_INVISIBLE = "\u200b"  # what every invisible character becomes on the copy
_SEP = "[\\s.\\-/()_~·•・。\u2010-\u2015\u2212" + _INVISIBLE + "]"
_GAP = _SEP + "{0,3}"  # between two digits of one number


def _run(least, most=None):
    """Between `least` and `most` digits (exactly `least` without `most`), each pair allowed a gap."""
    return "[0-9](?:" + _GAP + "[0-9])" + ("{%d,%d}" % (least - 1, most - 1) if most else "{%d}" % (least - 1))


_END = "(?![0-9])"
_MOBILE = "1" + _GAP + "[3-9](?:" + _GAP + "[0-9]){9}"
# Tried in this order where a number starts; the first that fits is masked and the scan goes on after it.
_SHAPES = [(kind, re.compile(rx + _END)) for kind, rx in (
    ("id", _run(17) + _GAP + "[0-9Xx]"),                      # 身份证 (GB 11643), X as the check digit
    ("card", _run(16, 19)),                                   # bank cards: no check digit all issuers keep
    ("old_id", _run(15)),                                       # 15-digit IDs issued before 1999 (birth date checked)
    ("mobile", "(?:(?:\\+|00)?8" + _GAP + "6" + _GAP + "|0" + _GAP + ")" + _MOBILE),  # +86 / 0086 / 86 / 0 before it
    ("landline", "(?:(?:\\+|00)8" + _GAP + "6" + _GAP + "[1-9]|0" + _GAP + "[1-9])(?:" + _GAP + "[0-9]){1,2}"
                 + _GAP + "[2-9](?:" + _GAP + "[0-9]){6,7}"),  # area code, then a 7- or 8-digit number
    ("mobile", _MOBILE),
)]
# Numbers that are not about anybody, read as one token so no identifier is looked for inside them: dates
# (2026-12-07, 2026.12.01-2026.12.31) and appeal numbers (20261207-361).
_NOT_PERSONAL = re.compile(
    "(?:(?:19|20)[0-9]{2}[-./年](?:0?[1-9]|1[0-2])[-./月](?:0?[1-9]|[12][0-9]|3[01])日?"
    "|20[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])-[0-9]{1,12})" + _END)
_STARTS = re.compile("(?<![0-9])[0-9+]")
_CHINESE_NUMERALS = {"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5",
                     "六": "6", "七": "7", "八": "8", "九": "9"}
_ARABIC_OFF = str.maketrans("0123456789", "a" * 10)
_CHINESE_ON = str.maketrans(_CHINESE_NUMERALS)


@functools.lru_cache(maxsize=8192)
def _plain(ch):
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    if unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return _INVISIBLE
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def _copies(text):
    """The copies to scan: Arabic digits; and where Chinese numerals occur, those alone, then both mixed.

    Alone first, so that "…5678一直没人接" is read as a number followed by words, not as a longer number.
    """
    base = text if text.isascii() else "".join(map(_plain, text))
    yield base
    if any(ch in _CHINESE_NUMERALS for ch in base):
        yield base.translate(_ARABIC_OFF).translate(_CHINESE_ON)
        yield base.translate(_CHINESE_ON)


def _masked(kind, matched):
    """The masked form of a matched identifier, or None when it is not one after all."""
    digits = re.sub("[^0-9Xx]", "", matched).upper()
    if kind == "id":
        return mask_id_number(digits)
    if kind == "card":
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
    if kind == "old_id":  # region, birth date YYMMDD, sequence: the birth date is hidden
        # No region code starts with 0: fifteen digits from 0 are "0086" and a mobile whose digits read as a date.
        born = digits[0] != "0" and 1 <= int(digits[8:10]) <= 12 and 1 <= int(digits[10:12]) <= 31
        return digits[:6] + "*" * 6 + digits[12:] if born else None
    if kind == "mobile":
        return mask_mobile(digits[-11:])
    national = digits[4:] if digits.startswith("0086") else digits[2:] if matched.startswith("+") else digits
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def _identifiers(copy):
    """(start, end, masked form) of every identifier in one copy, left to right."""
    found, pos = [], 0
    while (start := _STARTS.search(copy, pos)) is not None:
        start = start.start()
        skip = _NOT_PERSONAL.match(copy, start)
        if skip:
            pos = skip.end()
            continue
        pos = start + 1
        for kind, shape in _SHAPES:
            hit = shape.match(copy, start)
            masked = _masked(kind, hit.group()) if hit else None
            if masked is not None:
                begin = start
                # "(139)1234-5678": the opening bracket goes with the number it opened.
                if begin and copy[begin - 1] == "(" and hit.group().count(")") > hit.group().count("("):
                    begin -= 1
                found.append((begin, hit.end(), masked))
                pos = hit.end()
                break
    return found


def redact_identifiers(text) -> str:
    """Free text with every personal identifier in it masked: mainland mobile and landline numbers, 18- and
    15-digit ID numbers, bank card numbers, in whatever shape they were typed.

    The one masking of free text, for everything others read (titles, lists, notifications, e-mails, the
    audit log, Open311) and for every log line. Dates, amounts, appeal numbers (20261207-361) and room
    numbers (3栋1201) stay as they are.
    """
    if not text:
        return ""
    text = str(text)
    spans = []
    for copy in _copies(text):
        for begin, end, masked in _identifiers(copy):
            if all(end <= b or begin >= e for b, e, _m in spans):
                spans.append((begin, end, masked))
    if not spans:
        return text
    out, last = [], 0
    for begin, end, masked in sorted(spans):
        out += [text[last:begin], masked]
        last = end
    out.append(text[last:])
    return "".join(out)
