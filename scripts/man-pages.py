#!/usr/bin/env python3
"""Writes incidentctl's manual pages as git's are: incidentctl(1), and one page per
subcommand named incidentctl-report(1), incidentctl-audit-query(1) and so on.

    scripts/man-pages.py GENERATE_MANUAL INCIDENTCTL OUTPUT_DIRECTORY

swift-argument-parser's generate-manual writes the pages from the commands' own help; this
renames them, keeps examples and other indented blocks as they are written (mdoc would
fill them into one paragraph), and adds the sections every page needs: ENVIRONMENT, EXIT
STATUS and SEE ALSO. The date on the pages is SOURCE_DATE_EPOCH's when it is set, for
reproducible builds.
"""
import datetime
import os
import pathlib
import re
import subprocess
import sys
import tempfile

EXIT_STATUS = """.Sh EXIT STATUS
.Bl -tag -width 4n -compact
.It 0
Success.
.It 1
An error, said in one sentence on standard error.
.It 2
A usage error or an invalid value.
.It 3
No such incident (or one you may not see).
.It 4
Permission denied.
.It 5
A conflict: the incident changed since it was read.
.It 69
incidentd is unavailable (not running, unreachable, or without its database).
.El
"""

ENVIRONMENT = """.Sh ENVIRONMENT
.Bl -tag -width Ds
.It Ev INCIDENTD_SOCKET
The incidentd socket, when
.Fl -socket
is not given.
.It Ev INCIDENTD_HOST
Reach incidentd on [USER@]HOST[:SOCKET] over SSH, when
.Fl -host
is not given.
.It Ev INCIDENTD_SSH
The ssh client to use (default: ssh).
.It Ev INCIDENTD_CONTACT
Whom to call when a report cannot be sent, said with the message that it was saved.
.It Ev NO_COLOR
When set and not empty, no colour, even on a terminal (https://no-color.org).
.It Ev LANG , Ev LC_ALL , Ev LC_MESSAGES , Ev LANGUAGE
The language of screens, prompts and errors: Simplified Chinese under zh_CN, else English;
chosen as gettext does, without needing the locale generated (docs/translating.md).
.It Ev COLUMNS
The width of the screen when standard output is not a terminal (default: 100).
.It Ev XDG_STATE_HOME
Where reports that could not be sent are kept, in incidentctl/unsent (default:
~/.local/state).
.El
"""


def page_name(stem):
    """incidentctl.audit.query -> incidentctl-audit-query"""
    return stem.replace(".", "-")


def literal_blocks(lines):
    """Indented runs of lines in the description, kept as written (.Bd -literal)."""
    result, block = [], []

    def flush():
        if block:
            result.append(".Bd -literal -offset 2n")
            for line in block:
                text = line[2:] if line.startswith("  ") else line
                result.append("\\&" + text if text.startswith((".", "'")) else text)
            result.append(".Ed")
            block.clear()

    for line in lines:
        if line.startswith("  ") and not line.startswith("."):
            block.append(line)
        elif block and line.strip() == "":
            flush()
            result.append(line)
        else:
            flush()
            # A line of prose that starts with a quote would be read as a request.
            result.append("\\&" + line if line.startswith("'") else line)
    flush()
    return result


def rewrite(text, stem, names, date):
    name = page_name(stem)
    words = stem.split(".")
    lines = text.split("\n")
    out = []
    section = None
    for line in lines:
        if line.startswith(".Dd "):
            out.append(f".Dd {date}")
            continue
        if line.startswith(".Dt "):
            out.append(f".Dt {name.upper()} 1")
            continue
        if line.startswith(".Sh "):
            section = line[4:].strip('"')
            if section in ("EXIT STATUS", "SEE ALSO"):
                break
        if section == "NAME" and line.startswith(".Nm"):
            out.append(f".Nm {name}")
            continue
        if section == "SYNOPSIS" and line.strip() == ".Nm":
            out.append(f'.Nm "{" ".join(words)}"')
            continue
        out.append(line)
    # Blank lines are paragraph breaks in the description.
    body = []
    for line in literal_blocks(out):
        body.append(".Pp" if line.strip() == "" else line)
    body = [line for index, line in enumerate(body) if not (line == ".Pp" and index > 0 and body[index - 1] in (".Pp", ".Ed"))]
    see_also = [n for n in names if n != name and (n == "incidentctl" or n.startswith(name + "-") and n.count("-") == name.count("-") + 1)]
    if name != "incidentctl" and "incidentctl" not in see_also:
        see_also.insert(0, "incidentctl")
    parent = "-".join(name.split("-")[:-1])
    if parent not in ("", "incidentctl") and parent not in see_also:
        see_also.insert(1, parent)
    tail = ENVIRONMENT + EXIT_STATUS + ".Sh SEE ALSO\n" + " ,\n".join(f".Xr {n} 1" for n in see_also)
    return "\n".join(body).rstrip("\n") + "\n" + tail + "\n"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tool, binary, output = sys.argv[1:]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else datetime.datetime.now()
    date = f"{when:%B} {when.day}, {when.year}"
    out = pathlib.Path(output)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([tool, binary, "--multi-page", "--section", "1", "-o", scratch], check=True)
        stems = sorted(p.name[:-2] for p in pathlib.Path(scratch).glob("incidentctl*.1"))
        stems = [s for s in stems if s != "incidentctl.help"]
        names = [page_name(s) for s in stems]
        for stem in stems:
            text = (pathlib.Path(scratch) / f"{stem}.1").read_text(encoding="utf-8")
            (out / f"{page_name(stem)}.1").write_text(rewrite(text, stem, names, date), encoding="utf-8")
    print(f"{len(stems)} pages written to {out}")


main()
