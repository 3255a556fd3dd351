#!/usr/bin/env bash
# incidentctl over SSH, for make bench: starts the user's own sshd on a free loopback port (a
# generated host key, one generated client key, no PAM: an unprivileged sshd logs in only the
# user who started it), warms one ControlMaster connection, and times whole-process runs of
# `incidentctl --host localhost show REF` beside `ssh localhost true` through the same master.
# Usage: bench-ssh.sh BIN_DIR SOCKET REFERENCE WORK_DIR
# Prints: remote_show_ms ssh_true_ms (medians of 100 runs), or "- -" when sshd is missing.
set -euo pipefail
bin=$1 sock=$2 ref=$3 work=$4
if [ ! -x /usr/sbin/sshd ]; then
    echo "bench-ssh: /usr/sbin/sshd is missing (apt-get install openssh-server); no SSH row" >&2
    echo "- -"
    exit 0
fi
dir="$work/ssh"
rm -rf "$dir"
mkdir -p "$dir"
ssh-keygen -q -t ed25519 -N "" -f "$dir/host"
ssh-keygen -q -t ed25519 -N "" -f "$dir/client"
cp "$dir/client.pub" "$dir/authorized_keys"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
SetEnv PATH=$bin:/usr/bin:/bin
CONF
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
sshd=$!
trap 'ssh_wrapper -O exit localhost 2>/dev/null || true; kill $sshd 2>/dev/null || true' EXIT
cat >"$dir/ssh" <<SH
#!/bin/sh
exec ssh -p $port -i $dir/client -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    -o ControlMaster=auto -o ControlPath=$dir/master -o ControlPersist=120 "\$@"
SH
chmod 755 "$dir/ssh"
ssh_wrapper() { "$dir/ssh" "$@"; }
for _ in $(seq 100); do
    ssh_wrapper localhost true 2>/dev/null && break
    sleep 0.1
done
median_ms() { python3 "$(dirname "$0")/bench-median.py" "$@"; }
remote=$(export INCIDENTD_SSH="$dir/ssh"; median_ms "$bin/incidentctl" --host "localhost:$sock" show "$ref")
plain=$(median_ms "$dir/ssh" localhost true)
echo "$remote $plain"
