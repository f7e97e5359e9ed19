#!/bin/sh
# gpu-escrow access hook: one authorized_keys line per rental.
#
# gpu-oracle runs this script (configured as both `[access] provision` and `teardown`) with:
#   GPU_ESCROW_ACTION      provision | teardown
#   GPU_ESCROW_RENTAL_ID   0x-prefixed rental id (64 hex digits)
#   GPU_ESCROW_ACCESS_KEY  the renter's SSH public key, one OpenSSH line
#   GPU_ESCROW_RENTER, GPU_ESCROW_OFFER_ID, GPU_ESCROW_GPU_UUIDS (not used here)
# and the same facts as JSON on stdin (ignored here).
#
# provision: adds the renter's key to AUTHORIZED_KEYS_FILE (the dedicated renter user's file) as
#   <AUTHORIZED_KEYS_OPTIONS> <key> # gpu-escrow <rental id>
#   and prints {"host", "port", "user", "notes"} on stdout. Running it again for the same rental
#   replaces that rental's line (idempotent).
# teardown: removes exactly the line(s) marked with that rental's id; succeeds if there are none.
#
# Configuration (environment, e.g. `[access.env]` in the oracle's config):
#   AUTHORIZED_KEYS_FILE     default /home/$ACCESS_USER/.ssh/authorized_keys
#   ACCESS_USER              the user the renter logs in as (default gpu-renter)
#   ACCESS_HOST              host name renters connect to (default: this host's FQDN)
#   ACCESS_PORT              SSH port (default 22)
#   AUTHORIZED_KEYS_OPTIONS  key options (default "restrict,pty": no agent/port/X11 forwarding,
#                            a terminal allowed; set "" for none)
#   ACCESS_NOTES             notes shown to the renter (optional)
# Concurrent runs are serialised with flock(1) on "$AUTHORIZED_KEYS_FILE.lock". The file is
# replaced atomically (temp file + rename) with mode 600, keeping its owner when run as root.
# The GPU isolation itself (which GPUs the user sees) is up to the host: this hook only manages
# who may log in.
set -eu

die() {
    printf 'authorized-keys.sh: %s\n' "$*" >&2
    exit 1
}

json_string() {
    # A JSON string literal for $1 (backslash, double quote and control characters escaped).
    printf '%s' "$1" | awk 'BEGIN { ORS = "" } {
        gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r");
        if (NR > 1) printf "\\n"; printf "%s", $0 }' | {
        printf '"'
        cat
        printf '"'
    }
}

action=${GPU_ESCROW_ACTION:?GPU_ESCROW_ACTION is not set (run by gpu-oracle)}
rental=${GPU_ESCROW_RENTAL_ID:?GPU_ESCROW_RENTAL_ID is not set}
case $rental in
0x*) ;;
*) die "unexpected rental id: $rental" ;;
esac
hex=${rental#0x}
case $hex in
*[!0-9a-f]*) die "unexpected rental id: $rental" ;;
esac
[ ${#hex} -eq 64 ] || die "unexpected rental id: $rental"

user=${ACCESS_USER:-gpu-renter}
file=${AUTHORIZED_KEYS_FILE:-/home/$user/.ssh/authorized_keys}
port=${ACCESS_PORT:-22}
case $port in
'' | *[!0-9]*) die "ACCESS_PORT must be a number, got '$port'" ;;
esac
options=${AUTHORIZED_KEYS_OPTIONS-restrict,pty}
marker="# gpu-escrow $rental"

command -v flock >/dev/null 2>&1 || die "flock(1) is required (util-linux)"
dir=$(dirname -- "$file")
mkdir -p -- "$dir"
[ -e "$file" ] || (umask 077 && : >"$file")

exec 9>"$file.lock"
flock -w 30 9 || die "could not lock $file.lock within 30 s"

tmp=$(mktemp "$file.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
# Every line but this rental's.
grep -vF -- "$marker" "$file" >"$tmp" || [ $? -eq 1 ] || die "cannot read $file"

case $action in
provision)
    key=${GPU_ESCROW_ACCESS_KEY:?GPU_ESCROW_ACCESS_KEY is not set}
    case $key in
    ssh-* | ecdsa-* | sk-*) ;;
    *) die "GPU_ESCROW_ACCESS_KEY does not look like an OpenSSH public key" ;;
    esac
    [ "$(printf '%s\n' "$key" | wc -l)" -eq 1 ] || die "GPU_ESCROW_ACCESS_KEY spans several lines"
    if [ -n "$options" ]; then
        printf '%s %s %s\n' "$options" "$key" "$marker" >>"$tmp"
    else
        printf '%s %s\n' "$key" "$marker" >>"$tmp"
    fi
    ;;
teardown) ;;
*) die "unknown GPU_ESCROW_ACTION: $action" ;;
esac

chmod 600 "$tmp"
if [ "$(id -u)" -eq 0 ]; then
    chown "$(stat -c %u:%g -- "$file")" "$tmp"
fi
mv -f -- "$tmp" "$file"
trap - EXIT

if [ "$action" = provision ]; then
    host=${ACCESS_HOST:-$(hostname -f 2>/dev/null || hostname)}
    notes=${ACCESS_NOTES:-"Your key is authorized for user $user until the rental ends."}
    printf '{"host": %s, "port": %s, "user": %s, "notes": %s}\n' \
        "$(json_string "$host")" "$port" "$(json_string "$user")" "$(json_string "$notes")"
fi
