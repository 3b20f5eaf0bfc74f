"""Every message on the site has its Vietnamese translation, and the compiled catalog is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "vi" / "LC_MESSAGES"


def source_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    found = extract_from_dir(
        str(ROOT / "web"),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        keywords=keywords,
    )
    # refusals the monitor layer marks with N_ (monitor/errors.py) reach the pages too
    found = [*found, *extract_from_dir(str(ROOT / "monitor"), method_map=[("**.py", "python")], keywords={"N_": None})]
    messages = set()
    for _filename, _lineno, message, _comments, _context in found:
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def test_every_message_is_translated_to_vietnamese() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in source_messages() if not translated.get(m))
    assert missing == [], "add these to web/translations/vi/LC_MESSAGES/messages.po (then pybabel compile)"


def test_compiled_catalog_matches_the_po_file() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id}
    with (CATALOG / "messages.mo").open("rb") as handle:
        mo = {m.id: m.string for m in read_mo(handle) if m.id}
    assert mo == po, "run: pybabel compile -d web/translations"
