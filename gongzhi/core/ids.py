"""Ids typed by people or sent by clients, checked before they reach a query.

`str.isdigit()` is not the test: it is true for "¹" and "²", which `int()` refuses (a 500), and
for numbers too large for the database's integer columns.
"""
MAX_ID = 2**63 - 1


def as_id(value):
    """The value as a database id (1 to 2**63-1, written in ASCII digits), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = "" if value is None else str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
