# shellcheck shell=bash
# Shared helpers for scripts/setup.sh. Sourced, never run.

# The step name is kept so the ERR trap can say which step failed, not just which line.
SETUP_STEP="start"

step() { SETUP_STEP="$1"; }

ok() { printf '\xe2\x9c\x93 %s\n' "$*"; }

note() { printf '  %s\n' "$*"; }

warn() { printf '! %s\n' "$*" >&2; }

die() {
  printf '\xe2\x9c\x97 setup failed in step "%s": %s\n' "$SETUP_STEP" "$*" >&2
  exit 1
}

on_error() {
  local status=$1 line=$2 cmd=$3
  printf '\xe2\x9c\x97 setup failed in step "%s" (exit %s at %s line %s): %s\n' \
    "$SETUP_STEP" "$status" "${BASH_SOURCE[1]:-setup.sh}" "$line" "$cmd" >&2
  exit "$status"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

os_field() {
  # /etc/os-release is shell syntax, but sourcing it would leak its variables into ours.
  [ -r /etc/os-release ] || return 0
  sed -n "s/^$1=//p" /etc/os-release | tr -d '"'
}

# Prints the Debian packages of "$@" that dpkg does not report as fully installed.
missing_debs() {
  local pkg
  for pkg in "$@"; do
    if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" != "ii " ]; then
      printf '%s\n' "$pkg"
    fi
  done
}
