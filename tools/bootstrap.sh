#!/usr/bin/env bash
# The set-up behind `make`: what the book needs from the system, the Python for .venv, and .venv.
#
#   tools/bootstrap.sh venv      the mxnet libraries, a Python 3.9-3.11 (or uv, which brings 3.11),
#                                then .venv from requirements.txt with the mxnet build $MXNET
#   tools/bootstrap.sh browser   Chromium and its driver (for make test / make browser-test)
#   tools/bootstrap.sh system    all of the system's part, .venv left out (make test runs it first;
#                                so does the Dockerfile)
#
# A missing system package is installed with apt-get when this runs as root or with passwordless
# sudo (and SYSTEM_INSTALL is not "no"); otherwise the script stops at once with ONE line that
# names everything missing and the one command that installs it on this distribution. Everything
# it checks takes well under a second.
#
# Environment (make passes its variables of the same names):
#   PYTHON          a Python 3.9-3.11 to make .venv with (default: python3.11, 3.10, 3.9 on the
#                   PATH, then the distribution's python3.11 package, then uv with a managed 3.11)
#   MXNET           mxnet (CPU, default) or a CUDA build of the same version, e.g. mxnet-cu117
#   VENV            the virtual environment (default .venv)
#   SYSTEM_INSTALL  "no": never install system packages, only say what is missing
#   BOOTSTRAP_OS_RELEASE, BOOTSTRAP_ARCH, BOOTSTRAP_UV_HOME   stand-ins for /etc/os-release, `uname -m`
#                   and _build/uv (tests)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
MXNET=${MXNET:-mxnet}
PYTHON=${PYTHON:-}
SYSTEM_INSTALL=${SYSTEM_INSTALL:-auto}
ARCH=${BOOTSTRAP_ARCH:-$(uname -m)}
KERNEL=$(uname -s)
UV_HOME=${BOOTSTRAP_UV_HOME:-_build/uv}   # where make puts uv (installed with pip) when it needs it
# The CUDA builds of MXNet published at the version pinned in requirements.txt (1.9.1).
MXNET_BUILDS="mxnet mxnet-cu101 mxnet-cu102 mxnet-cu110 mxnet-cu111 mxnet-cu112 mxnet-cu113 mxnet-cu114 mxnet-cu115 mxnet-cu116 mxnet-cu117"

fail() { echo "setup: $*" >&2; exit 1; }
note() { echo "setup: $*" >&2; }
run() { echo "$*"; "$@"; }

# ---- the distribution --------------------------------------------------------------------------
OS_ID="" OS_LIKE=""
OS_RELEASE=${BOOTSTRAP_OS_RELEASE:-/etc/os-release}
if [ -r "$OS_RELEASE" ]; then
    eval "$(. "$OS_RELEASE"; printf 'OS_ID=%q OS_LIKE=%q' "${ID:-}" "${ID_LIKE:-}")"
fi
is_apt() {
    case " $OS_ID $OS_LIKE " in *" debian "*|*" ubuntu "*) command -v apt-get >/dev/null ;; *) return 1 ;; esac
}
if [ "$(id -u)" -eq 0 ]; then AS_ROOT=""; SUDO=""; else AS_ROOT="sudo -n"; SUDO="sudo "; fi
can_install() {
    [ "$SYSTEM_INSTALL" != no ] && is_apt && { [ -z "$AS_ROOT" ] || sudo -n true 2>/dev/null; }
}
APT_UPDATED=""
apt_update() {
    [ -n "$APT_UPDATED" ] && return
    $AS_ROOT apt-get update -qq || fail "apt-get update failed. Run: ${SUDO}apt-get update"
    APT_UPDATED=yes
}
# need WHAT PACKAGE...: install the packages now if we may; otherwise note them, and flush (below)
# stops with ONE line naming everything that is missing and the one command that installs it all.
MISSING_WHAT=() MISSING_PACKAGES=()
need() {
    local what=$1
    shift
    if can_install; then
        note "$what: installing $* (apt-get)"
        apt_update
        $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
            || fail "$what, and apt-get could not install it. Run: ${SUDO}apt-get update && ${SUDO}apt-get install -y $*"
        return 0
    fi
    MISSING_WHAT+=("$what")
    MISSING_PACKAGES+=("$@")
    return 1
}
flush() {
    [ ${#MISSING_WHAT[@]} -eq 0 ] && return 0
    local what
    what=$(printf '%s; ' "${MISSING_WHAT[@]}")
    what=${what%; }
    is_apt && fail "$what. Run: ${SUDO}apt-get install -y ${MISSING_PACKAGES[*]}"
    fail "$what: install ${MISSING_PACKAGES[*]} (or your system's equivalent), or use the container described in book/installation.md"
}
# apt_has PACKAGE: the distribution's archive offers it (after apt-get update when we may run it).
apt_has() {
    is_apt || return 1
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null || true)
    if can_install && ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
        apt_update
        policy=$(apt-cache policy "$1" 2>/dev/null || true)
    fi
    grep -q 'Candidate: [0-9]' <<<"$policy"
}

# ---- the platform and the libraries the mxnet wheel loads -----------------------------------------
check_platform() {
    case "$KERNEL" in
        Linux|Darwin) ;;
        MINGW*|MSYS*|CYGWIN*)
            fail "MXNet 1.9.1 has no Windows wheels (they stop at 1.7). Use WSL2: run 'wsl --install -d Debian' in PowerShell, then follow the Debian line of book/installation.md inside it" ;;
        *) fail "$KERNEL is not a platform MXNet 1.9.1 has wheels for: use Linux (x86_64) or the container of book/installation.md" ;;
    esac
    if [ "$KERNEL" = Darwin ] && [ "$ARCH" = arm64 ]; then
        fail "MXNet 1.9.1 has no wheels for Apple Silicon: use the x86_64 container (docker build --platform linux/amd64 -t rnn-book .) or a cloud environment, see book/installation.md"
    fi
}
LDCONFIG=$(command -v ldconfig || ls /sbin/ldconfig /usr/sbin/ldconfig 2>/dev/null | head -n 1 || true)
LDCACHE=""
have_lib() {  # have_lib libfoo.so.1: the dynamic loader finds it (ld.so.cache or LD_LIBRARY_PATH)
    local dir
    if [ -z "$LDCACHE" ] && [ -n "$LDCONFIG" ]; then LDCACHE=$("$LDCONFIG" -p 2>/dev/null || true); fi
    if grep -q "^[[:space:]]$1 " <<<"$LDCACHE"; then return 0; fi
    local IFS=:
    for dir in ${LD_LIBRARY_PATH:-}; do [ -n "$dir" ] && [ -e "$dir/$1" ] && return 0; done
    return 1
}
check_libraries() {
    [ "$KERNEL" = Linux ] || return 0
    local missing=() packages=()
    case "$ARCH" in
        x86_64|amd64) have_lib libgomp.so.1 || packages+=(libgomp1)
                      have_lib libquadmath.so.0 || packages+=(libquadmath0) ;;
        aarch64|arm64) have_lib libgomp.so.1 || packages+=(libgomp1)
                      for lib in libarmpl_lp64_mp.so libamath.so libastring.so; do
                          have_lib "$lib" || missing+=("$lib")
                      done ;;
        *) fail "MXNet 1.9.1 has Linux wheels for x86_64 and aarch64 only, not $ARCH" ;;
    esac
    [ ${#packages[@]} -eq 0 ] || need "the mxnet wheel needs the system libraries ${packages[*]}" "${packages[@]}" || true
    if [ ${#missing[@]} -gt 0 ]; then
        fail "the aarch64 mxnet 1.9.1 wheel loads Arm Performance Libraries (${missing[*]}), which neither the wheel nor Debian ships: install them from Arm and put their lib folder on LD_LIBRARY_PATH, or use the x86_64 container (docker build --platform linux/amd64 -t rnn-book .)"
    fi
}

# ---- a Python 3.9-3.11 for .venv -------------------------------------------------------------------
# probe PYTHON: prints "3.11 venv" (or "3.11 novenv" when its venv/ensurepip modules are missing).
probe() {
    "$1" -c 'import sys
try:
    import ensurepip, venv
    ok = "venv"
except ImportError:
    ok = "novenv"
print("%d.%d %s" % (sys.version_info[0], sys.version_info[1], ok))' 2>/dev/null
}
supported() { case "$1" in 3.9|3.10|3.11) return 0 ;; *) return 1 ;; esac; }
# with_venv PYTHON VERSION STATE: make sure that Python can create virtual environments.
with_venv() {
    [ "$3" = venv ] && return 0
    need "$1 (Python $2) lacks the venv module (Debian and Ubuntu ship it separately)" "python$2-venv" || return 0
    [ "$(probe "$1")" = "$2 venv" ] || fail "$1 still cannot create a virtual environment: install python$2-venv"
}

UV=""
find_uv() {
    UV=$(command -v uv || true)
    [ -n "$UV" ] && return 0
    [ -x "$UV_HOME/bin/uv" ] && UV=$UV_HOME/bin/uv
    [ -n "$UV" ]
}
# install_uv: pip installs uv (one binary wheel) into a small venv of its own, from the system's python3.
install_uv() {
    local py state
    py=$(command -v python3 || true)
    if [ -z "$py" ]; then
        need "no Python 3.9-3.11 here and no python3 to install uv with" python3 python3-venv || flush
        py=$(command -v python3)
    fi
    state=$(probe "$py") || fail "$py does not run"
    if [ "${state#* }" != venv ]; then
        need "no Python 3.9-3.11 here, and $py (Python ${state% *}) cannot make the small venv that uv (which brings Python 3.11) is installed into" python3-venv || flush
    fi
    flush
    note "no Python 3.9-3.11 on the PATH: installing uv with pip into $UV_HOME; uv then provides Python 3.11"
    rm -rf "$UV_HOME"
    mkdir -p "$(dirname "$UV_HOME")"
    "$py" -m venv "$UV_HOME" && "$UV_HOME/bin/python" -m pip install --quiet uv \
        || fail "pip could not install uv into $UV_HOME. Install Python 3.11 and run: make PYTHON=/path/to/python3.11"
    UV=$UV_HOME/bin/uv
}

# choose_python [check]: the first route that works, installing the system packages it needs; sets
# PY (a Python 3.9-3.11 that can make virtual environments) or UV (uv, which brings 3.11).
# With "check" it only makes sure of the system's part (nothing is installed with pip).
PY=""
choose_python() {
    local py state v
    if [ -n "$PYTHON" ]; then
        state=$(probe "$PYTHON") || fail "PYTHON=$PYTHON does not run: point it at a Python 3.11 (or unset it)"
        supported "${state% *}" || fail "PYTHON=$PYTHON is Python ${state% *}, but MXNet 1.9.1 needs Python 3.9-3.11: unset PYTHON (make then finds python3.11 or gets one with uv) or point it at a Python 3.11"
        with_venv "$PYTHON" "${state% *}" "${state#* }"
        PY=$PYTHON
        return
    fi
    for v in 3.11 3.10 3.9; do
        py=$(command -v "python$v" || true)
        [ -n "$py" ] || continue
        state=$(probe "$py") || continue
        with_venv "$py" "$v" "${state#* }"
        PY=$py
        return
    done
    if apt_has python3.11 && apt_has python3.11-venv; then
        need "Python 3.11 is needed (MXNet 1.9.1 runs on 3.9-3.11)" python3.11 python3.11-venv || return 0
        PY=$(command -v python3.11)
        return
    fi
    find_uv && return
    [ "${1:-}" = check ] || install_uv
}

# create_venv: .venv with the chosen Python; a failure ends in one line.
create_venv() {
    choose_python
    flush
    if [ -n "$PY" ]; then
        run "$PY" -m venv "$VENV"
        return
    fi
    mkdir -p "$(dirname "$UV_HOME")"
    if ! "$UV" venv --quiet --seed --python 3.11 "$VENV" 2>"$UV_HOME-venv.log"; then
        rm -rf "$VENV"
        fail "uv could not provide Python 3.11 (it downloads one from GitHub's python-build-standalone releases; its message is in $UV_HOME-venv.log). Install Python 3.11 and run: make PYTHON=/path/to/python3.11"
    fi
    echo "$UV venv --seed --python 3.11 $VENV  ($("$VENV/bin/python" --version))"
}

install_venv() {
    local version wanted others
    case " $MXNET_BUILDS " in
        *" $MXNET "*) ;;
        *) fail "MXNET=$MXNET is not an MXNet 1.9.1 build. Use one of: $MXNET_BUILDS (e.g. make test MXNET=mxnet-cu117)" ;;
    esac
    version=$(sed -n -E 's/^mxnet==([^ ;#]+).*/\1/p' requirements.txt)
    [ -n "$version" ] || fail "requirements.txt has no 'mxnet==' line"
    check_platform
    check_libraries
    flush
    if [ -e "$VENV" ] && [ ! -x "$VENV/bin/python" ]; then
        fail "$VENV exists but has no bin/python. Run: rm -rf $VENV && make venv"
    fi
    if [ -x "$VENV/bin/python" ]; then
        local state
        state=$(probe "$VENV/bin/python") || fail "$VENV/bin/python does not run. Run: rm -rf $VENV && make venv"
        supported "${state% *}" || fail "$VENV was made with Python ${state% *}, but MXNet 1.9.1 needs 3.9-3.11. Run: rm -rf $VENV && make venv"
    else
        create_venv
    fi
    local pip=("$VENV/bin/python" -m pip) cuda="" site
    case "$MXNET" in
        mxnet-cu11[2-7]) cuda=tools/requirements-cuda11.txt ;;   # CUDA 11 libraries from NVIDIA's wheels
        mxnet-cu*) note "$MXNET loads the CUDA toolkit and cuDNN of its version from the system (make installs them only for mxnet-cu112 ... mxnet-cu117)" ;;
    esac
    wanted=$VENV/requirements-installed.txt   # requirements.txt with the chosen mxnet build
    sed -E "s/^mxnet==/$MXNET==/" requirements.txt > "$wanted"
    run "${pip[@]}" install --quiet --upgrade pip
    "$VENV/bin/python" -c 'import setuptools' 2>/dev/null || run "${pip[@]}" install --quiet 'setuptools>=61'
    # another mxnet build (and, for the CPU build, NVIDIA's CUDA 11 wheels) out first: one mxnet/ folder
    others=$("${pip[@]}" list --format=freeze 2>/dev/null \
             | sed -n -E 's/^(mxnet(-[A-Za-z0-9]+)?|nvidia-[a-z0-9-]+-cu11)==.*/\1/p' \
             | grep -v -x -F "$MXNET" | { if [ -n "$cuda" ]; then grep -v '^nvidia-'; else cat; fi; } || true)
    if [ -n "$others" ]; then run "${pip[@]}" uninstall --quiet -y $others; fi
    run "${pip[@]}" install --quiet -r "$wanted" ${cuda:+-r "$cuda"}
    run "${pip[@]}" install --quiet --no-deps --no-build-isolation -e .
    run "${pip[@]}" check
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    if [ -n "$cuda" ]; then
        cp tools/cuda_preload.py "$site/d2lmini_cuda_preload.py"
        echo 'import d2lmini_cuda_preload' > "$site/d2lmini_cuda_preload.pth"
    else
        rm -f "$site/d2lmini_cuda_preload.py" "$site/d2lmini_cuda_preload.pth"
    fi
    echo "$MXNET" > "$VENV/.mxnet"
    touch "$VENV/.installed"
}

# ---- Chromium and its driver, for the browser checks -----------------------------------------------
find_browser() {  # the same look-up as tests/browser/bookpages.py
    local chromium chromedriver
    chromium=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
    chromedriver=${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}
    [ -f "$chromium" ] && [ -f "$chromedriver" ]
}
check_browser() {
    find_browser && return 0
    [ "$KERNEL" = Darwin ] && fail "the browser checks need Chromium and chromedriver: install both (e.g. Homebrew: brew install --cask chromium chromedriver) and run: make test CHROMIUM=/path/to/chromium CHROMEDRIVER=/path/to/chromedriver"
    if [ "$OS_ID" = ubuntu ]; then
        # Ubuntu's Chromium is a snap; these packages install it and its driver (needs snapd).
        need "the browser checks need Chromium and its driver (on Ubuntu a snap)" chromium-browser chromium-chromedriver \
            || return 0
        find_browser || fail "Chromium is installed as a snap: run make test CHROMIUM=/snap/bin/chromium CHROMEDRIVER=/snap/bin/chromium.chromedriver"
        return
    fi
    need "the browser checks need Chromium and its driver" chromium chromium-driver || return 0
    find_browser || fail "chromium and chromium-driver are installed but /usr/bin/chromium or /usr/bin/chromedriver is missing"
}

case "${1:-}" in
    venv) install_venv ;;
    browser) check_platform; check_browser; flush ;;
    system) check_platform; check_libraries; [ -x "$VENV/bin/python" ] || choose_python check; check_browser; flush ;;
    *) echo "usage: $0 venv|browser|system" >&2; exit 2 ;;
esac
