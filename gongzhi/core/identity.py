"""Validation, normalisation and masking of ID numbers and mobile numbers."""
import datetime
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


# Identifiers inside free text; full-width digits (a Chinese input method's) are read as ASCII first.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9+])(?:(?:\+|00)86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]){8}(?![0-9])")


def redact_identifiers(text) -> str:
    """Free text with every ID number and mainland mobile number in it masked, for public listings.

    A resident may type their number into an appeal they make public; what
    anyone may read must never carry it in full.
    """
    if not text:
        return ""
    text = str(text).translate(_FULL_WIDTH_DIGITS)
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(normalise_id_number(m.group())), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(normalise_mobile(m.group())), text)
