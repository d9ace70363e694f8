"""Rebuild kam-han-ext.ttf, the bundled fallback font for rare Chinese characters, from Hanazono Mincho.

Not used at run time: the app ships the built file. Rebuild only to change the coverage or the source
version, then update README.md (version, size, SHA-256). Needs fontTools (``pip install fonttools``) and
the Hanazono fonts from Debian's ``fonts-hanazono`` package::

    apt-get download fonts-hanazono && dpkg-deb -x fonts-hanazono_*.deb hanazono
    python resources/fonts/build_han_ext.py hanazono/usr/share/fonts/truetype/hanazono

The output keeps only the Han blocks the main UI/PDF font (WenQuanYi Micro Hei) lacks, so the file stays
a fraction of the 53 MB the two Hanazono files take: CJK Ext. A, the URO additions after U+9FA5, the
compatibility ideographs, all of Ext. B, and from Ext. C–F only the characters HanaMinA carries (those of
the Chinese, Japanese and Hong Kong character-set standards, e.g. 通用规范汉字表). Hinting, vertical
metrics and layout tables are dropped (the outlines are unhinted polygons; the UI and reports set text
horizontally). The family is renamed so the subset is never mistaken for the full Hanazono fonts.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

FAMILY = "KAM Han Ext"
POSTSCRIPT_NAME = "KAMHanExt-Regular"
SOURCE_VERSION = "20170904"
OUT = Path(__file__).resolve().parent / "kam-han-ext.ttf"

EXT_A = (0x3400, 0x4DBF)
URO_ADDITIONS = (0x9FA6, 0x9FFF)
COMPATIBILITY = (0xF900, 0xFAFF)
EXT_B = (0x20000, 0x2A6DF)
EXT_C_TO_F = (0x2A700, 0x2EBEF)
COMPATIBILITY_SUPPLEMENT = (0x2F800, 0x2FA1F)


def _in(ranges: list[tuple[int, int]], code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _subset(path: Path, codepoints: list[int]) -> TTFont:
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["BASE", "GDEF", "GSUB", "GPOS", "FFTM", "prop", "vhea", "vmtx", "gasp"]
    options.glyph_names = False
    options.notdef_outline = True
    options.name_IDs = []
    options.recalc_timestamp = False
    font = TTFont(path, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    return font


def _rename(font: TTFont) -> None:
    copyright_ = "Copyright 2008, 2009, 2010, 2011 GlyphWiki Project. Subset of Hanazono Mincho (HanaMinA/HanaMinB)."
    version = f"Version {SOURCE_VERSION}; Hanazono Mincho {SOURCE_VERSION} subset (CJK Ext. A, Ext. B)"
    licence = (
        "Hanazono Font License: This font is a free software. Unlimited permission is granted to use, copy, "
        "and distribute it, with or without modification, either commercially and noncommercially. "
        'THIS FONT IS PROVIDED "AS IS" WITHOUT WARRANTY.'
    )
    names = {
        0: copyright_,
        1: FAMILY,
        2: "Regular",
        3: f"{FAMILY} Regular {SOURCE_VERSION}",
        4: FAMILY,
        5: version,
        6: POSTSCRIPT_NAME,
        13: licence,
        14: "http://fonts.jp/hanazono/",
    }
    table = font["name"]
    table.names = []
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English (US)
        table.setName(text, name_id, 1, 0, 0)  # Macintosh, Roman, English
    font["post"].formatType = 3.0  # no glyph names: smaller, and nothing needs them


def build(source_dir: Path, out: Path = OUT) -> Path:
    font_a = TTFont(source_dir / "HanaMinA.ttf", lazy=True)
    cmap_a = font_a.getBestCmap()
    font_b = TTFont(source_dir / "HanaMinB.ttf", lazy=True)
    cmap_b = font_b.getBestCmap()
    from_a = [c for c in cmap_a if _in([EXT_A, URO_ADDITIONS, COMPATIBILITY, COMPATIBILITY_SUPPLEMENT], c)]
    # Ext. C–F in full would add about 8.6 MB; HanaMinA's share of them is the standards' characters.
    from_b = [c for c in cmap_b if _in([EXT_B], c) or (_in([EXT_C_TO_F], c) and c in cmap_a)]
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for name, codepoints in (("A", from_a), ("B", from_b)):
            part = Path(tmp) / f"part-{name}.ttf"
            _subset(source_dir / f"HanaMin{name}.ttf", codepoints).save(part)
            parts.append(str(part))
        merged = Merger().merge(parts)
    # The source's dates, not today's, so the same sources always build the same bytes.
    merged.recalcTimestamp = False
    merged["head"].created = merged["head"].modified = font_a["head"].modified
    _rename(merged)
    merged.save(out)
    covered = TTFont(out, lazy=True).getBestCmap()
    assert set(from_a) | set(from_b) <= set(covered)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"{out}: {out.stat().st_size} bytes, {len(covered)} characters, SHA-256 {digest}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder with HanaMinA.ttf and HanaMinB.ttf")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    build(args.source_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
