#!/usr/bin/env bash
# Replays the Dockerfile's steps in a fresh Debian 12 root made with debootstrap, where no Docker
# engine runs: the check that the container recipe builds the book and passes the tests.
#
#   sudo tools/replay_dockerfile.sh /tmp/replay-root [COMMAND ...]
#
# FROM debian:bookworm-slim becomes `debootstrap --variant=minbase bookworm` (the slim image is that
# minimal base); each RUN runs in the root with chroot and /bin/sh -c in the current WORKDIR; COPY
# copies from the working tree, leaving out what .dockerignore lists; ENV is exported. Then the
# COMMANDs run there (default: `make book` and the Dockerfile's CMD), with the checked corpora of
# ../shared/data mounted as `docker run -v ...:/data -e D2LMINI_DATA=/data` would. Prints the wall
# time of every step and the sizes. Needs root, debootstrap, and the network to Debian's archive and
# the package index. The host's extra CA certificates (a TLS-inspecting proxy, if any) and PIP_CERT
# are passed into the root, as on the host; a machine with a plain network needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTFS=${1:?usage: tools/replay_dockerfile.sh ROOTFS [COMMAND ...]}
shift
[ $# -gt 0 ] || set -- "make book" "CMD"
REPO=$PWD
STEP_START=$SECONDS
step() { echo "=== replay: $* ($((SECONDS - STEP_START)) s so far)"; }

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounted+=("$2"); }

if [ ! -x "$ROOTFS/bin/sh" ]; then
    step "debootstrap --variant=minbase bookworm $ROOTFS"
    t=$SECONDS
    debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$ROOTFS.debootstrap.log" 2>&1 \
        || { tail -n 20 "$ROOTFS.debootstrap.log"; exit 1; }
    echo "debootstrap took $((SECONDS - t)) s; the root is $(du -sh --exclude=proc "$ROOTFS" | cut -f1)"
fi
mkdir -p "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev"
mount -t proc proc "$ROOTFS/proc" && mounted+=("$ROOTFS/proc")
bind /sys "$ROOTFS/sys"
bind /dev "$ROOTFS/dev"
mkdir -p "$ROOTFS/dev/shm"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
fi

WORKDIR=/
declare -a ENVS=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
[ -z "${PIP_CERT:-}" ] || ENVS+=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
CMD=""
in_root() {  # in_root COMMAND: /bin/sh -c COMMAND in the root, in WORKDIR, with the ENV so far
    # update-ca-certificates first (a no-op until ca-certificates is installed) for the host's extra CAs
    chroot "$ROOTFS" /usr/bin/env -i "${ENVS[@]}" /bin/sh -c \
        "{ command -v update-ca-certificates >/dev/null && update-ca-certificates >/dev/null 2>&1; } || true; cd $WORKDIR && $1"
}
excludes=()
while read -r pattern; do
    case "$pattern" in ''|'#'*) continue ;; esac
    excludes+=("--exclude=${pattern#\*\*/}")
done < .dockerignore

# The Dockerfile's instructions, continuation lines joined.
mapfile -t instructions < <(sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' Dockerfile | grep -v -E '^[[:space:]]*(#|$)')
for line in "${instructions[@]}"; do
    keyword=${line%% *}
    args=${line#* }
    case "$keyword" in
        FROM) [ "$args" = debian:bookworm-slim ] || { echo "replay knows FROM debian:bookworm-slim only, not $args"; exit 1; } ;;
        WORKDIR) WORKDIR=$args; mkdir -p "$ROOTFS$WORKDIR" ;;
        ENV) ENVS+=("${args/ /=}") ;;
        COPY)
            read -r -a parts <<<"$args"
            dest=${parts[-1]}
            case "$dest" in /*) ;; *) dest=$WORKDIR/$dest ;; esac
            step "COPY $args"
            for src in "${parts[@]:0:${#parts[@]}-1}"; do
                if [ -d "$src" ]; then   # a folder's content goes into dest, as docker's COPY does
                    mkdir -p "$ROOTFS$dest"
                    tar -C "$src" "${excludes[@]}" -cf - . | tar -C "$ROOTFS$dest" -xf -
                else
                    mkdir -p "$ROOTFS$dest"; cp -p "$src" "$ROOTFS$dest/"
                fi
            done ;;
        RUN)
            step "RUN $args"
            t=$SECONDS
            in_root "$args"
            echo "=== replay: RUN took $((SECONDS - t)) s" ;;
        CMD) CMD=$(python3 -c 'import json, sys; print(" ".join(json.loads(sys.argv[1])))' "$args") ;;
        *) echo "replay does not know the instruction $keyword"; exit 1 ;;
    esac
done
echo "=== replay: image built in $((SECONDS - STEP_START)) s; root $(du -sh -x "$ROOTFS" | cut -f1), .venv $(du -sh "$ROOTFS$WORKDIR/.venv" | cut -f1)"

# docker run -v $REPO/../shared/data:/data -e D2LMINI_DATA=/data rnn-book COMMAND
if [ -f "$REPO/../shared/data/SHA1SUMS" ]; then
    bind "$REPO/../shared/data" "$ROOTFS/data"
    ENVS+=(D2LMINI_DATA=/data)
fi
status=0
for command in "$@"; do
    [ "$command" = CMD ] && command=$CMD
    step "run: $command"
    t=$SECONDS
    if in_root "$command"; then
        echo "=== replay: '$command' passed in $((SECONDS - t)) s"
    else
        echo "=== replay: '$command' FAILED after $((SECONDS - t)) s"
        status=1
    fi
done
echo "=== replay: total $((SECONDS - STEP_START)) s; root now $(du -sh -x "$ROOTFS" | cut -f1)"
exit $status
