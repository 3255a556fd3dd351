#!/usr/bin/env bash
# Installs what building, running and testing incidentd need, when it is missing:
# PostgreSQL (server and libpq-dev), pkg-config, Python's varlink client for the tests, groff
# for the manual pages, and OpenSSH (the client; as root also the server the SSH tests start)
# and Chromium (as root: the board report's rendering test).
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
# runuser is in /usr/sbin, which is not on an ordinary user's PATH on Debian.
command -v runuser >/dev/null 2>&1 || [ -x /usr/sbin/runuser ] || missing+=(util-linux)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
# groff renders the manual pages, which the tests check.
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
# OpenSSH, for root, whose test suite starts a server (SSHTests); others need it only to use
# incidentctl --host, so its absence stops nothing.
if [ "$(id -u)" = 0 ]; then
    command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
    [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
    # Headless Chromium renders the board report to a PNG in its test (BoardTests).
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 69
    fi
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import varlink' >/dev/null 2>&1; then
    echo "install-deps: installing Python's varlink package (the independent client the tests use)"
    python3 -m pip install --quiet --disable-pip-version-check varlink 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages varlink \
        || python3 -m pip install --quiet --disable-pip-version-check --user varlink
fi

# incidentd's own service account (what systemd/incidentd.sysusers creates): as root the
# embedded PostgreSQL and the exec hooks run as it, never as root or the shared postgres.
if [ "$(id -u)" = 0 ] && ! id incidentd >/dev/null 2>&1; then
    echo "install-deps: creating the incidentd system account (as systemd/incidentd.sysusers does)"
    getent group incidentd >/dev/null 2>&1 || groupadd --system incidentd
    useradd --system --home-dir /var/lib/incidentd --no-create-home --shell /usr/sbin/nologin -g incidentd incidentd
fi
