#!/usr/bin/env python3
"""Turns the statements incidentd ran for one report into a pgbench script.

    bench-capture.py POSTGRES_LOG MARKER INCIDENT_ID UID IDEMPOTENCY_KEY > report.sql

The server log must have been written with log_statement = 'all' and a log_line_prefix that
starts '%m [%p] '. MARKER is the report's title: the transaction that inserted it is found,
from its BEGIN to its COMMIT on the same backend, and every statement is written out with its
parameters inlined as the literals the log shows. So that pgbench can run the script again and
again, three values of that one report become per-transaction ones: the incident's id becomes
currval('incidents_id_seq'), its uid gen_random_uuid(), and its idempotency key one made from
pgbench's :n and :client_id.
"""
import re
import sys

log_path, marker, incident_id, uid, key = sys.argv[1:6]
entry_start = re.compile(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] )")
entry = re.compile(r"\S+ \S+ \S+ \[(\d+)\] (\w+):  (.*)", re.S)

entries = []
for chunk in entry_start.split(open(log_path, encoding="utf-8", errors="replace").read()):
    match = entry.match(chunk)
    if match:
        pid, level, body = match.groups()
        # Continuation lines of a statement are indented with a tab in the log.
        entries.append((pid, level, body.replace("\n\t", "\n").strip()))

def parameters(detail):
    """$1 = 'a''b', $2 = NULL, ... -> {1: "'a''b'", 2: 'NULL'}"""
    values, i = {}, detail.index("$")
    while i < len(detail):
        number = re.match(r"\$(\d+) = ", detail[i:])
        if not number:
            break
        i += number.end()
        if detail.startswith("NULL", i):
            value, i = "NULL", i + 4
        else:
            j = i + 1
            while True:
                j = detail.index("'", j)
                if detail.startswith("''", j):
                    j += 2
                    continue
                break
            value, i = detail[i:j + 1], j + 1
        values[int(number.group(1))] = value
        i = detail.find("$", i)
        if i < 0:
            break
    return values

def inline(statement, values):
    replacements = {
        f"'{incident_id}'": ":incident_id",
        f"'{uid}'": "gen_random_uuid()",
        f"'{key}'": "'pgbench-' || CAST(:n AS text) || '-' || CAST(:client_id AS text)",
    }
    def literal(match):
        value = values[int(match.group(1))]
        if value in replacements:
            return replacements[value]
        if ":" in value or "\\" in value:
            # pgbench reads :name as a variable even inside quotes; spell colons as escapes.
            value = "E'" + value[1:-1].replace("\\", "\\\\").replace(":", "\\x3a") + "'"
        return value
    return re.sub(r"\$(\d+)", literal, statement)

# The backend and position of the report's INSERT: the DETAIL naming the marker.
found = next(
    (index for index, (pid, level, body) in enumerate(entries) if level == "DETAIL" and f"'{marker}'" in body),
    None,
)
if found is None:
    sys.exit(f"bench-capture: no statement with the parameter '{marker}' in {log_path}")
pid = entries[found][0]
mine = [(index, level, body) for index, (p, level, body) in enumerate(entries) if p == pid]
start = max(index for index, level, body in mine if index < found and body == "statement: BEGIN")
end = min(index for index, level, body in mine if index > found and body == "statement: COMMIT")

print("\\set n random(1, 2000000000)")
statements = [(index, level, body) for index, level, body in mine if start <= index <= end]
for position, (index, level, body) in enumerate(statements):
    if level != "LOG":
        continue
    if body.startswith("statement: "):
        print(body[len("statement: "):] + ";")
        continue
    text = re.sub(r"^execute [^:]*: ", "", body)
    following = statements[position + 1] if position + 1 < len(statements) else None
    values = parameters(following[2]) if following and following[1] == "DETAIL" else {}
    if index == found - 1:
        # The insert returns the new row: keep its id for the statements after it.
        print(inline(text, values) + "\n\\gset incident_")
    else:
        print(inline(text, values) + ";")
