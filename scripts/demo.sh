#!/usr/bin/env bash
# A short walk-through: start incidentd on its embedded-PostgreSQL default, file two breach
# reports (one by a person, one by an automated reporter), and look at them the way staff,
# investigators and managers do. Stops the daemon at the end; its data stays in the state
# directory for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)
export PATH="$bin:$PATH"
log=$(mktemp "${TMPDIR:-/tmp}/incidentd-demo.XXXXXX.log")

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# The demo's user works the incident as manager and investigator (the defaults give root
# only the admin role, and everyone else only the reporter role).
config=$(mktemp "${TMPDIR:-/tmp}/incidentd-demo.XXXXXX.yaml")
printf 'roles:\n  users:\n    %s: [manager, investigator, auditor]\n' "$(id -un)" >"$config"
# The organisation's profile: the contact point every notice gives.
cat >>"$config" <<'PROFILE'
profile:
  legalName: Example Shop GmbH
  contact: "Data Protection Officer: Jana Richter"
  address: Beispielstrasse 1, 10115 Berlin, Germany
  email: privacy@example.com
  timeZone: Europe/Berlin
PROFILE

echo "Starting incidentd (embedded PostgreSQL; log in $log) ..."
incidentd --config "$config" >"$log" 2>&1 &
daemon=$!
stop() {
    kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
    rm -f "$config"
}
trap stop EXIT

for _ in $(seq 1 120); do
    if incidentctl status >/dev/null 2>&1; then break; fi
    if ! kill -0 "$daemon" 2>/dev/null; then
        echo "incidentd stopped during start-up:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done

step incidentctl report \
    --title "Customer list e-mailed to the wrong partner" \
    --description "A CSV with names, e-mail addresses and order totals went to partner B at 09:12; recall requested 09:40." \
    --category accidental_disclosure --severity high --data contact --data transactions \
    --people 1200 --records 1350 --jurisdiction DE --jurisdiction EU

ref=$(incidentctl list --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"][0]["reference"])')

# An automated DLP reporter fires twice: the second report folds into the first incident.
for run in 1 2; do
printf '\n\033[1m$ %s\033[0m\n' "incidentctl report --from-file -   (an automated DLP reporter, YAML on stdin; run $run)"
incidentctl report --from-file - <<YAML
title: Unencrypted card numbers in application log
description: DLP rule PAN-7 matched card numbers in app-server logs shipped to the log vendor.
category: external_attack
severity: critical
dataCategories: [financial]
recordsAffected: $((run * 40))
jurisdictions: [US]
dedupKey: dlp-PAN-7/app-server
YAML
done

step incidentctl list
step incidentctl show "$ref"
step incidentctl task done "$ref" acknowledge
step incidentctl task done "$ref" triage --set severity=high --set dataCategories=contact,transactions \
    --set jurisdictions=DE,EU --set nis2Entity=false --set secRegistrant=false \
    --set doraFinancialEntity=false --set ftcFinancialInstitution=false
step incidentctl advance "$ref"
# The investigator keeps what they found: sealed, hashed, every access audited.
evidence=$(mktemp -d "${TMPDIR:-/tmp}/incidentd-demo-evidence.XXXXXX")
cat >"$evidence/misdirected.eml" <<'MAIL'
From: orders@example.com
To: partner-b@example.net
Date: Tue, 1 Dec 2026 09:12:00 +0100
Subject: Order export

The order export is attached.
MAIL
step incidentctl evidence add "$ref" "$evidence/misdirected.eml" --kind email \
    --description "The e-mail that went to partner B"
step incidentctl evidence get "$ref" E1 -o "$evidence/back.eml"
step incidentctl evidence custody "$ref" E1
rm -rf "$evidence"
# The GDPR authority notice, checked against Art. 33(3), then drafted from the case file.
step incidentctl notice check "$ref" gdpr-authority || true
step incidentctl update "$ref" \
    --set likelyConsequences="Phishing e-mails to the customers named, using their order history."
step incidentctl notice draft "$ref" gdpr-authority
# Sent as drafted: the text is kept sealed, its SHA-256 in the ledger; what is not yet known
# follows later (GDPR Art. 33(4)), each with its reason.
step incidentctl task done "$ref" gdpr-authority --recipient BfDI --channel portal \
    --set regulatorReference=BfDI-2026-4411 --as-drafted \
    --defer subjectCategories="being established" --defer measuresTaken="recall under way" \
    --defer measuresProposed="review of the partner process not finished"
step incidentctl notice show "$ref" gdpr-authority
# What was deferred is owed in a supplementary notice; check says what it still lacks.
step incidentctl notice check "$ref" gdpr-authority-supplement || true
# The same case file drafts the PIPL notice to individuals in Chinese; what it still lacks
# shows as 【待补充：…】.
step incidentctl notice draft "$ref" pipl-individuals --lang zh-CN
step incidentctl status
step incidentctl stats --since "$(date -u +%Y-01-01)"
step incidentctl playbook list
# The breach register (GDPR Art. 33(5)) and the board's page, written beside the log.
step incidentctl register --output "${log%.log}-register.csv"
head -c 400 "${log%.log}-register.csv"; echo
step incidentctl board --output "${log%.log}-board.html"
step incidentctl audit verify

cat <<EOF2

That was incidentd with its embedded PostgreSQL (data kept in its state directory).
Run it yourself:  $bin/incidentd
and in another shell:  $bin/incidentctl --help
EOF2
