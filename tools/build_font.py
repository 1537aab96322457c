"""Build the CJK label font that ships in ``src/etiquette_cv/models/``: a subset of WenQuanYi Micro Hei.

    apt-get install fonts-wqy-microhei        # Debian package 0.2.0-beta-3.1 (licence: Apache-2.0 or GPL-3+)
    python tools/build_font.py [--source /usr/share/fonts/truetype/wqy/wqy-microhei.ttc]

Reads face 0 ("WenQuanYi Micro Hei") of the Debian package's TrueType collection and keeps, with fontTools'
subsetter, the glyphs of: printable ASCII, the symbols the annotations use (° ± – — → … ≥ ≤ × ·), CJK and
full-width punctuation, the 3755 hanzi of GB 2312 level 1, and every other CJK character in the package's own
texts (rulebook, scenarios, report labels). The result is deterministic for a given source file (no timestamps are
recalculated, glyph names dropped) and recorded, with the source's SHA-256, in ``models/manifest.json``
(``fonts``); the licence chosen from the dual licence is Apache-2.0 (see ``models/NOTICE``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "src" / "etiquette_cv"
OUT = PKG / "models" / "wqy_microhei_subset.ttf"
DEFAULT_SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SYMBOLS = "°±–—→←…≥≤×·•■□▲▼✓✗"
CJK_PUNCT = "，。、：；！？（）【】《》“”‘’～・「」『』—…　"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def gb2312_level1() -> str:
    """The 3755 hanzi of GB 2312 level 1 (rows 16–55)."""
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


def project_chars() -> str:
    """Every CJK character in the package's texts (Python sources, YAML, templates)."""
    found = set()
    for p in PKG.rglob("*"):
        if p.suffix in (".py", ".yaml", ".j2"):
            found.update(CJK.findall(p.read_text(encoding="utf-8")))
    return "".join(sorted(found))


def build(source: Path, out: Path) -> dict:
    """Write the subset and return its manifest entry."""
    from fontTools import subset  # noqa: PLC0415 - a build-time tool only
    from fontTools.ttLib import TTCollection  # noqa: PLC0415

    import fontTools  # noqa: PLC0415

    text = "".join(chr(c) for c in range(0x20, 0x7F)) + SYMBOLS + CJK_PUNCT + gb2312_level1() + project_chars()
    font = TTCollection(str(source)).fonts[0]
    opts = subset.Options()
    opts.name_IDs = ["*"]            # keep the copyright, licence and name records
    opts.name_languages = ["*"]
    opts.glyph_names = False
    opts.notdef_outline = True
    opts.recalc_timestamp = False
    opts.layout_features = ["*"]
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.recalcTimestamp = False     # keep the source's head.modified: the same source gives the same bytes
    font.save(str(out))
    raw = source.read_bytes()
    built = out.read_bytes()
    return {"file": out.name, "sha256": hashlib.sha256(built).hexdigest(), "size": len(built),
            "characters": len(set(text)), "licence": "Apache-2.0 (chosen from Apache-2.0 or GPL-3+ with font exception)",
            "generator": "tools/build_font.py", "build_requirements": {"fonttools": fontTools.version},
            "origin": {"registry": "Debian", "package": "fonts-wqy-microhei", "version": "0.2.0-beta-3.1",
                       "path": str(DEFAULT_SOURCE), "face": 0, "sha256": hashlib.sha256(raw).hexdigest(),
                       "size": len(raw), "upstream": "WenQuanYi Micro Hei 0.2.0-beta (wqy-microhei-0.2.0-beta)"}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = ap.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source}: not found (apt-get install fonts-wqy-microhei)", file=sys.stderr)
        return 2
    entry = build(args.source, OUT)
    manifest_path = PKG / "models" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["fonts"] = [entry]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{OUT}: {entry['size']} bytes, {entry['characters']} characters, sha256 {entry['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
