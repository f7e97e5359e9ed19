#!/usr/bin/env bash
# gpu-escrow access hook: one container per rental with exactly its GPUs and an SSH server.
#
# gpu-oracle runs this script (configured as both `[access] provision` and `teardown`) with:
#   GPU_ESCROW_ACTION      provision | teardown
#   GPU_ESCROW_RENTAL_ID   0x-prefixed rental id (64 hex digits)
#   GPU_ESCROW_ACCESS_KEY  the renter's SSH public key, one OpenSSH line
#   GPU_ESCROW_GPU_UUIDS   the assigned GPUs, comma-separated NVML UUIDs
#   GPU_ESCROW_RENTER, GPU_ESCROW_OFFER_ID (recorded as container labels)
# and the same facts as JSON on stdin (ignored here).
#
# provision: removes any earlier container of the rental (a retried attempt), then
#   docker run -d --name gpu-escrow-<rental id without 0x> --gpus '"device=UUID1,UUID2"'
#     -p <ACCESS_BIND>::<CONTAINER_SSH_PORT> -e PUBLIC_KEY=<key> -e USER_NAME=<ACCESS_USER> … IMAGE
#   reads the host port docker picked (`docker port`) and prints {"host", "port", "user", "notes"}.
#   (The quotes around device=… are part of the value: docker parses --gpus as CSV, and without
#   them a comma-separated device list is refused.)
# teardown: `docker rm -f` of that container; succeeds if it is already gone.
#
# The default image, lscr.io/linuxserver/openssh-server, authorizes PUBLIC_KEY for USER_NAME and
# listens on 2222; with the NVIDIA Container Toolkit, --gpus mounts the driver and nvidia-smi into
# it. For real work use an image with CUDA and an SSH server that honours the same variables.
#
# Configuration (environment, e.g. `[access.env]` in the oracle's config):
#   DOCKER               docker binary (default: docker on PATH)
#   DOCKER_IMAGE         image (default lscr.io/linuxserver/openssh-server:latest)
#   DOCKER_RUN_ARGS      extra `docker run` arguments, split on whitespace (e.g. "--shm-size 16g")
#   CONTAINER_SSH_PORT   the SSH port inside the container (default 2222)
#   ACCESS_BIND          host address the port is published on (default 0.0.0.0)
#   ACCESS_USER          user inside the container (default renter)
#   ACCESS_HOST          host name renters connect to (default: this host's FQDN)
#   ACCESS_NOTES         notes shown to the renter (optional)
set -euo pipefail

die() {
    printf 'docker-gpu.sh: %s\n' "$*" >&2
    exit 1
}

json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

action=${GPU_ESCROW_ACTION:?GPU_ESCROW_ACTION is not set (run by gpu-oracle)}
rental=${GPU_ESCROW_RENTAL_ID:?GPU_ESCROW_RENTAL_ID is not set}
[[ $rental =~ ^0x[0-9a-f]{64}$ ]] || die "unexpected rental id: $rental"
name="gpu-escrow-${rental#0x}"

docker_bin=${DOCKER:-docker}
image=${DOCKER_IMAGE:-lscr.io/linuxserver/openssh-server:latest}
ssh_port=${CONTAINER_SSH_PORT:-2222}
bind=${ACCESS_BIND:-0.0.0.0}
user=${ACCESS_USER:-renter}
[[ $ssh_port =~ ^[0-9]+$ ]] || die "CONTAINER_SSH_PORT must be a number, got '$ssh_port'"
[[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "ACCESS_USER is not a valid user name: '$user'"

exists() {
    "$docker_bin" container inspect "$name" >/dev/null 2>&1
}

case $action in
provision)
    key=${GPU_ESCROW_ACCESS_KEY:?GPU_ESCROW_ACCESS_KEY is not set}
    [[ $key =~ ^(ssh-|ecdsa-|sk-)[^$'\n']+$ ]] || die "GPU_ESCROW_ACCESS_KEY is not one OpenSSH public key line"
    uuids=${GPU_ESCROW_GPU_UUIDS:?GPU_ESCROW_GPU_UUIDS is not set}
    [[ $uuids =~ ^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$ ]] || die "unexpected GPU list: $uuids"
    if exists; then
        "$docker_bin" rm -f "$name" >/dev/null
    fi
    extra=()
    if [[ -n ${DOCKER_RUN_ARGS:-} ]]; then
        read -r -a extra <<<"$DOCKER_RUN_ARGS"
    fi
    "$docker_bin" run -d \
        --name "$name" \
        --restart unless-stopped \
        --label "gpu-escrow.rental=$rental" \
        --label "gpu-escrow.renter=${GPU_ESCROW_RENTER:-}" \
        --label "gpu-escrow.offer=${GPU_ESCROW_OFFER_ID:-}" \
        --gpus "\"device=$uuids\"" \
        -p "$bind::$ssh_port" \
        -e "PUBLIC_KEY=$key" \
        -e "USER_NAME=$user" \
        -e "PASSWORD_ACCESS=false" \
        -e "SUDO_ACCESS=false" \
        "${extra[@]}" \
        "$image" >/dev/null
    mapping=$("$docker_bin" port "$name" "$ssh_port/tcp" | head -n 1)
    host_port=${mapping##*:}
    [[ $host_port =~ ^[0-9]+$ ]] || die "docker port printed '$mapping', expected ADDRESS:PORT"
    host=${ACCESS_HOST:-$(hostname -f 2>/dev/null || hostname)}
    notes=${ACCESS_NOTES:-"Container $name with GPUs $uuids; it is removed when the rental ends."}
    printf '{"host": %s, "port": %s, "user": %s, "notes": %s}\n' \
        "$(json_string "$host")" "$host_port" "$(json_string "$user")" "$(json_string "$notes")"
    ;;
teardown)
    if exists; then
        "$docker_bin" rm -f "$name" >/dev/null
    fi
    ;;
*)
    die "unknown GPU_ESCROW_ACTION: $action"
    ;;
esac
