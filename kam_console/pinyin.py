"""Pinyin initials of Chinese names, for searching accounts by typing e.g. `zgsh` for 中国石化."""

from __future__ import annotations

import re
from functools import lru_cache

_KEEP = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=65536)
def initials(name: str) -> str:
    """'中国石化广东分公司' -> 'zgshgdfgs'; letters and digits are kept lower-cased, the rest dropped."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default", strict=False)
    return "".join(_KEEP.findall("".join(parts).lower()))
