#!/usr/bin/env bash
# Usher's end-user pages in a real headless Chromium (Playwright).
#
# Starts a real SMTP server (aiosmtpd, mail kept in a Maildir the tests
# read links from) and a real `usher serve` on 127.0.0.1 with a fresh
# SQLite database and a bootstrap token, runs the Playwright suite against
# them, and stops both whatever happens. The exit code is the suite's.
#
# Usage: browser/run.sh [path/to/usher] [playwright test arguments…]
#   Without a path (or USHER_BIN) it builds target/debug/usher as .ci/run
#   does. Installs what is missing: Debian's chromium, the npm packages
#   (npm ci), aiosmtpd. Playwright never downloads a browser of its own.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

usher="${USHER_BIN:-}"
if [ $# -gt 0 ] && [ -x "$1" ] && [ -f "$1" ]; then
  usher="$1"
  shift
fi
if [ -z "$usher" ]; then
  (cd "$root" && cargo build -q --locked --bin usher)
  usher="${CARGO_TARGET_DIR:-$root/target}/debug/usher"
fi
usher="$(cd "$(dirname "$usher")" && pwd)/$(basename "$usher")"

# --- What the suite needs, installed only when missing.
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || sudo apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null || sudo apt-get install -y -qq chromium >/dev/null
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install -q aiosmtpd 2>/dev/null || python3 -m pip install -q --break-system-packages aiosmtpd
fi

# --- Servers, stopped on every way out.
work="$(mktemp -d /tmp/usher-browser.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # what, check command…
  local what="$1"; shift
  for _ in $(seq 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$what did not start; its log:"; cat "$work"/*.log; exit 1
}

mkdir -p "$work/mail/new" "$work/mail/cur" "$work/mail/tmp"
smtp_port="$(free_port)"
python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/mail" \
  >"$work/smtp.log" 2>&1 &
pids+=($!)
wait_for "aiosmtpd" python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)"

port="$(free_port)"
token="browser-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
# Cheap argon2 parameters: the suite tests pages, not hashing cost.
USHER_DATABASE_URL="sqlite://$work/usher.db" USHER_BOOTSTRAP_TOKEN="$token" \
  USHER_LISTEN="127.0.0.1:$port" USHER_PUBLIC_URL="http://127.0.0.1:$port" \
  USHER_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  USHER_ARGON2_MEMORY_KIB=64 USHER_ARGON2_ITERATIONS=1 USHER_LOG=warn \
  "$usher" serve >"$work/usher.log" 2>&1 &
pids+=($!)
wait_for "usher serve" curl -fs "http://127.0.0.1:$port/readyz"

status=0
USHER_URL="http://127.0.0.1:$port" USHER_TOKEN="$token" USHER_MAILDIR="$work/mail" \
  npx --no-install playwright test "$@" || status=$?
if grep -qiE "panicked|internal_error" "$work/usher.log"; then
  echo "the server logged a panic or an internal error:"
  grep -iE "panicked|internal_error" "$work/usher.log" | head -20
  status=1
fi
exit $status
