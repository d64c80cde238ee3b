#!/usr/bin/env bash
# Runs two third-party SCIM 2.0 checkers against a real `usher serve`:
#  - scim2-tester through scim2-cli (`scim2 --url BASE test`): every check
#    it has, no tag excluded; passes only if every result is SUCCESS;
#  - scim-sanity (`scim-sanity probe`, strict mode): passes only with 0
#    failures and 0 errors.
# The tenant gets custom attributes first, so that both the enterprise
# extension (department, employeeNumber) and Usher's own extension (badge)
# are advertised and exercised, and roles, so that `roles` is too.
#
# Usage: scripts/scim-check.sh [database-url]
set -euo pipefail
cd "$(dirname "$0")/.."
workdir=$(mktemp -d /tmp/usher-scim-check.XXXXXX)
db="${1:-sqlite://$workdir/usher.db}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin="scim-check-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
if ! command -v scim2 >/dev/null || ! command -v scim-sanity >/dev/null; then
  python3 -m pip install -q scim2-cli==0.6.0 scim2-tester==0.5.2 scim-sanity==0.7.4 2>/dev/null \
    || python3 -m pip install -q --break-system-packages scim2-cli==0.6.0 scim2-tester==0.5.2 scim-sanity==0.7.4
fi

cargo build -q --bin usher
usher="${CARGO_TARGET_DIR:-target}/debug/usher"
export USHER_DATABASE_URL="$db"
USHER_BOOTSTRAP_TOKEN="$admin" USHER_LISTEN="127.0.0.1:$port" USHER_PUBLIC_URL="http://127.0.0.1:$port" \
  USHER_ARGON2_MEMORY_KIB=64 USHER_ARGON2_ITERATIONS=1 USHER_LOG=warn \
  "$usher" serve > "$workdir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$workdir"' EXIT
# Up to 60 s: a loaded CI machine can take long to open the database.
for _ in $(seq 600); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "usher serve exited:"; cat "$workdir/server.log"; exit 1; }
  sleep 0.1
done
api="http://127.0.0.1:$port/api/v1/tenants/default"
for name in department employeeNumber badge; do
  curl -fs -X POST "$api/attributes" -H "authorization: Bearer $admin" \
    -H 'content-type: application/json' -d "{\"name\": \"$name\", \"label\": \"$name\"}" >/dev/null
done
for role in sales support; do
  curl -fs -X POST "$api/roles" -H "authorization: Bearer $admin" \
    -H 'content-type: application/json' -d "{\"name\": \"$role\"}" >/dev/null
done
token=$("$usher" token create --tenant default --scim --name scim-check | tail -n1)
base="http://127.0.0.1:$port/scim/v2/default"

status=0
echo "--- scim2-tester (scim2 --url $base test)"
SCIM_CLI_HEADERS="Authorization: Bearer $token" scim2 --url "$base" test -v > "$workdir/scim2.out" 2>&1 || status=$?
successes=$(grep -c '^SUCCESS' "$workdir/scim2.out" || true)
others=$(grep -E '^[A-Z_]+ ' "$workdir/scim2.out" | grep -vc '^SUCCESS' || true)
echo "scim2-tester: $successes checks SUCCESS, $others not (exit $status)"
if [ "$status" -ne 0 ] || [ "$others" -ne 0 ] || [ "$successes" -lt 50 ]; then
  cat "$workdir/scim2.out"
  status=1
fi

echo "--- scim-sanity probe $base"
sanity=0
scim-sanity probe "$base" --token "$token" --i-accept-side-effects --json-output > "$workdir/sanity.json" 2>"$workdir/sanity.err" || sanity=$?
python3 - "$workdir/sanity.json" "$sanity" <<'EOF' || status=1
import json, sys
raw = open(sys.argv[1]).read()
report = json.loads(raw[raw.index("{"):])
s = report["summary"]
print(f"scim-sanity: {s['passed']} passed, {s['failed']} failed, {s['errors']} errors, "
      f"{s['warnings']} warnings, {s['skipped']} skipped (exit {sys.argv[2]})")
for r in report["results"]:
    if r["status"] in ("fail", "error", "warn"):
        print(f"  [{r['status']}] {r['name']}: {r.get('message', '')}")
sys.exit(0 if s["failed"] == 0 and s["errors"] == 0 and sys.argv[2] == "0" else 1)
EOF

if grep -qiE "panicked|internal_error|storage failure" "$workdir/server.log"; then
  echo "the server logged a panic or an internal error:"
  grep -iE "panicked|internal_error|storage failure" "$workdir/server.log" | head -20
  status=1
fi
exit $status
