#!/usr/bin/env python3
"""Writes incidentctl's message template, Sources/IncidentCLI/Catalogs/incidentctl.pot, from
the strings its sources pass to tr(...) and Language.text(...), as xgettext would, and with
--check fails when a catalogue lacks one of them (docs/translating.md).

    scripts/extract-messages.py            # rewrite the template
    scripts/extract-messages.py --check    # every catalogue translates every message
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "Sources" / "IncidentCLI"
CATALOGUES = SOURCES / "Catalogs"
# tr("…"), .text("…") and text("…"), also as the branches of a ?: inside text(…).
CALL = re.compile(r'(?:\btr|\btext)\(\s*(?:[a-zA-Z.!]+\s*\?\s*)?"((?:[^"\\]|\\.)*)"(?:\s*:\s*"((?:[^"\\]|\\.)*)")?')
BRANCH = re.compile(r'\?\s*"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def messages():
    found = {}
    for path in sorted(SOURCES.rglob("*.swift")):
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            for literal in filter(None, match.groups()):
                found.setdefault(literal, f"{path.relative_to(ROOT)}")
        # Branches of a ?: whose call opens on an earlier line: Language.current.text(\n a ? "x" : "y")
        for match in BRANCH.finditer(text):
            before = text[max(0, match.start() - 120):match.start()]
            if re.search(r'(?:\btr|\btext)\(\s*[^()"]*$', before):
                for literal in match.groups():
                    found.setdefault(literal, f"{path.relative_to(ROOT)}")
    return found


def entries(path):
    """msgid -> msgstr of a .po or .pot file, every entry (an untranslated one maps to "")."""
    found, current, field = {}, {}, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current.get("msgid"):
                found[current["msgid"]] = current.get("msgstr", "")
            current, field = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", line[6:].strip()[1:-1]
        elif line.startswith("msgstr "):
            field, current["msgstr"] = "msgstr", line[7:].strip()[1:-1]
        elif line.startswith('"') and field:
            current[field] += line[1:-1]
    return found


def main():
    found = messages()
    if "--check" in sys.argv:
        failed = False
        template = CATALOGUES / "incidentctl.pot"
        if set(entries(template)) != set(found):
            print(f"{template.relative_to(ROOT)} is out of date; run scripts/extract-messages.py")
            failed = True
        for path in sorted(CATALOGUES.glob("*.po")):
            translated = {m: t for m, t in entries(path).items() if t}
            missing = [m for m in found if m not in translated]
            stale = [m for m in translated if m not in found]
            for message in missing:
                print(f"{path.relative_to(ROOT)}: no translation of \"{message}\" ({found[message]})")
            for message in stale:
                print(f"{path.relative_to(ROOT)}: \"{message}\" is no longer used; remove it")
            failed = failed or bool(missing or stale)
        sys.exit(1 if failed else 0)
    lines = [
        "# incidentctl's screens, prompts and errors: the template for translations.",
        "# Written by scripts/extract-messages.py; see docs/translating.md.",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        "",
    ]
    for message, where in found.items():
        lines.append(f"#: {where}")
        if "%" in message:
            lines.append("#, c-format")
        lines += [f'msgid "{message}"', 'msgstr ""', ""]
    (CATALOGUES / "incidentctl.pot").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(found)} messages written to {(CATALOGUES / 'incidentctl.pot').relative_to(ROOT)}")


main()
