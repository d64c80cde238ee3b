#!/usr/bin/env bash
# Runs the README's first walk-through as a newcomer would, against a real
# `usher serve` on a fresh database: every shell block of the section "A
# first walk-through" up to "Inviting a user", with `curl` failing on any
# HTTP error and `cargo run --release --` meaning the binary given.
#   scripts/readme-walkthrough.sh [path/to/usher]   (default target/debug/usher)
set -euo pipefail
cd "$(dirname "$0")/.."
usher="$(realpath "${1:-target/debug/usher}")"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export USHER_DATABASE_URL="sqlite://$work/usher.db"
USHER_LISTEN="127.0.0.1:$port" USHER_BOOTSTRAP_TOKEN=change-me-dev-token-0001 \
  "$usher" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The section's shell blocks, as the README has them.
python3 - "$work/walkthrough.sh" <<'PY'
import re, sys
readme = open("README.md", encoding="utf-8").read()
section = readme.split("## A first walk-through", 1)[1].split("### Inviting a user", 1)[0]
blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
if not blocks:
    sys.exit("the README has no walk-through blocks")
open(sys.argv[1], "w").write("\n".join(blocks))
PY
sed -i "s#http://127.0.0.1:8080#http://127.0.0.1:$port#g; s#cargo run --release --#\"\$USHER\"#g" "$work/walkthrough.sh"

USHER="$usher" bash -euo pipefail -c '
  curl() { command curl --fail-with-body --show-error "$@"; echo; }
  export -f curl
  source "$1"
' walkthrough "$work/walkthrough.sh" | tee "$work/out.txt"
grep -q '"state":"blocked"' "$work/out.txt" || { echo "Ada was not blocked"; exit 1; }
grep -q "the audit log is intact" "$work/out.txt" || { echo "audit verify did not pass"; exit 1; }
echo "the README walk-through ran as written"
