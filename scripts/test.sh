#!/usr/bin/env bash
# The test command (npm test). Sets up what it can by itself: npm packages, the
# pinned peers (helm 3 and 4, helm-cm-push, MinIO), a MinIO server on a free port,
# and a Postgres server. Suites whose service cannot be had do not run, and the
# summary says so loudly; with CHARTROOM_REQUIRE_ALL=1 (as .ci/run sets) a missing
# service fails the run instead.
#
#   npm test                       all suites
#   npm test -- test/charts        only some files (passed to tap)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
require_all="${CHARTROOM_REQUIRE_ALL:-0}"
missing=()

say() { echo "test.sh: $*" >&2; }
lack() { # lack <what> <why>
  missing+=("$1: $2")
  if [ "$require_all" = 1 ]; then say "REQUIRED but unavailable: $1 ($2)"; exit 1; fi
  say "WARNING: $1 unavailable ($2)"
}

[ -d node_modules ] || npm ci --no-audit --no-fund || exit 1
say "type-checking and building (server and web console)"
npm run build --silent || exit 1
say "linting (eslint) and checking the format (prettier)"
npm run lint --silent || { say "lint or format check failed: npm run format fixes most of it"; exit 1; }

# --- corpus -----------------------------------------------------------------
export CHARTROOM_CORPUS="${CHARTROOM_CORPUS:-$root/../shared/corpus}"
[ -f "$CHARTROOM_CORPUS/MANIFEST.tsv" ] || lack corpus "no MANIFEST.tsv under $CHARTROOM_CORPUS"

# --- peers ------------------------------------------------------------------
if bash scripts/peers.sh all >/dev/null; then
  eval "$(bash scripts/peers.sh --env)"
  export CHARTROOM_HELM3 CHARTROOM_HELM4 CHARTROOM_MINIO CHARTROOM_HELM_PLUGINS CHARTROOM_ORAS CHARTROOM_CRANE CHARTROOM_OCI_CONFORMANCE
else
  say "building the pinned peers failed (see output above)"
fi
for b in "${CHARTROOM_HELM3:-}" "${CHARTROOM_HELM4:-}" "${CHARTROOM_HELM_PLUGINS:-}/cm-push/bin/helm-cm-push"; do
  [ -n "$b" ] && [ -x "$b" ] || { lack helm "helm 3, helm 4 or helm-cm-push missing"; unset CHARTROOM_HELM3 CHARTROOM_HELM4; break; }
done

for b in "${CHARTROOM_ORAS:-}" "${CHARTROOM_CRANE:-}" "${CHARTROOM_OCI_CONFORMANCE:-}"; do
  [ -n "$b" ] && [ -x "$b" ] || { lack oci "oras, crane or the OCI conformance suite missing"; unset CHARTROOM_ORAS; break; }
done

# --- upstream servers for the import suites (Debian packages) ------------------
# A plain static server (python3), nginx with Basic auth (nginx, htpasswd from
# apache2-utils) and a real OCI registry (docker-registry, distribution 2.8.2).
have_upstreams=1
for b in python3 nginx htpasswd docker-registry; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { have_upstreams=0; lack upstreams "$b missing (apt-get install nginx apache2-utils docker-registry)"; break; }
done

# --- a real browser for the web console suites (Debian's chromium) -------------
have_chromium=1
export CHARTROOM_CHROMIUM="${CHARTROOM_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHARTROOM_CHROMIUM" ] || { have_chromium=0; lack chromium "no browser at $CHARTROOM_CHROMIUM (apt-get install chromium)"; }

# --- Postgres ---------------------------------------------------------------
pg_url="${CHARTROOM_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_up() { node -e "const c=new (require('pg').Client)({connectionString:process.argv[1]});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))" "$pg_url" 2>/dev/null; }
if ! pg_up && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  say "Postgres not answering; starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start 2>/dev/null
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if pg_up; then export CHARTROOM_TEST_PG_URL="$pg_url"; else unset CHARTROOM_TEST_PG_URL; lack postgres "nothing answers at $pg_url"; fi

# --- MinIO ------------------------------------------------------------------
minio_pid=""
cleanup() {
  [ -n "$minio_pid" ] && kill "$minio_pid" 2>/dev/null && wait "$minio_pid" 2>/dev/null
  [ -n "${minio_dir:-}" ] && rm -rf "$minio_dir"
  rm -rf "$pglite_dir"
}
# In-memory PGlite databases of this run start from one freshly initialised copy, made
# by the first test process that needs it (src/db/pglite-database.ts): initdb once per
# run instead of once per file.
pglite_dir=$(mktemp -d)
export CHARTROOM_TEST_PGLITE_TEMPLATE="$pglite_dir/pristine.tar"
trap cleanup EXIT
if [ -n "${CHARTROOM_TEST_S3_ENDPOINT:-}" ]; then
  say "using the S3 server at $CHARTROOM_TEST_S3_ENDPOINT"
elif [ -n "${CHARTROOM_MINIO:-}" ] && [ -x "$CHARTROOM_MINIO" ]; then
  minio_dir=$(mktemp -d)
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  export MINIO_ROOT_USER=chartroom MINIO_ROOT_PASSWORD="chartroom-$(date +%s)-secret"
  # Loopback only; no console, no update checks.
  MINIO_BROWSER=off MINIO_UPDATE=off "$CHARTROOM_MINIO" server --quiet --address "127.0.0.1:$port" "$minio_dir/data" >"$minio_dir/log" 2>&1 &
  minio_pid=$!
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/minio/health/live" >/dev/null && break; sleep 0.5; done
  if curl -sf "http://127.0.0.1:$port/minio/health/live" >/dev/null; then
    export CHARTROOM_TEST_S3_ENDPOINT="http://127.0.0.1:$port" CHARTROOM_TEST_S3_ACCESS_KEY="$MINIO_ROOT_USER" CHARTROOM_TEST_S3_SECRET_KEY="$MINIO_ROOT_PASSWORD"
    say "MinIO running at $CHARTROOM_TEST_S3_ENDPOINT"
  else
    cat "$minio_dir/log" >&2
    lack minio "the MinIO server did not become healthy"
  fi
else
  lack minio "no MinIO binary"
fi

# --- choose suites ------------------------------------------------------------
# A test file declares what it needs in a line "// requires: postgres, s3, helm, oci, upstreams, chromium".
files=()
skipped=()
if [ $# -gt 0 ]; then candidates=("$@"); else mapfile -t candidates < <(find test -name '*.test.ts' | sort); fi
for f in "${candidates[@]}"; do
  if [ -d "$f" ]; then mapfile -t more < <(find "$f" -name '*.test.ts' | sort); files+=("${more[@]}"); continue; fi
  needs=$(grep -m1 -oE '^// requires: .*' "$f" | sed 's#// requires: ##; s/,/ /g')
  ok=1
  for n in $needs; do
    case "$n" in
      postgres) [ -n "${CHARTROOM_TEST_PG_URL:-}" ] || ok=0 ;;
      s3) [ -n "${CHARTROOM_TEST_S3_ENDPOINT:-}" ] || ok=0 ;;
      helm) [ -n "${CHARTROOM_HELM3:-}" ] || ok=0 ;;
      oci) [ -n "${CHARTROOM_ORAS:-}" ] || ok=0 ;;
      upstreams) [ "$have_upstreams" = 1 ] || ok=0 ;;
      corpus) [ -f "$CHARTROOM_CORPUS/MANIFEST.tsv" ] || ok=0 ;;
      chromium) [ "$have_chromium" = 1 ] || ok=0 ;;
    esac
  done
  if [ $ok = 1 ]; then files+=("$f"); else skipped+=("$f (needs: $needs)"); fi
done

rm -rf .tap/test-results
npx tap "${files[@]}"
rc=$?

# CI keeps only the end of the output: repeat every failed assertion (with its
# diagnostics) here, so the tail names what failed.
if [ $rc -ne 0 ] && [ -d .tap/test-results ]; then
  echo >&2
  echo "===================================================================== FAILURES" >&2
  find .tap/test-results -name '*.tap' | sort | while read -r f; do
    grep -q 'not ok' "$f" || continue
    echo "--- ${f#.tap/test-results/}" >&2
    awk '/not ok/ { show = 1; n = 0 } show { print; if (++n >= 40 || /^ *\.\.\.$/) show = 0 }' "$f" >&2
  done
  echo "=====================================================================" >&2
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo >&2
  echo "=====================================================================" >&2
  echo " NOT EVERYTHING RAN. Unavailable here:" >&2
  for m in "${missing[@]}"; do echo "   - $m" >&2; done
  echo " Suites that did not run:" >&2
  for s in "${skipped[@]}"; do echo "   - $s" >&2; done
  echo " Engine/store variants that did not run: $([ -z "${CHARTROOM_TEST_PG_URL:-}" ] && echo 'Postgres ')$([ -z "${CHARTROOM_TEST_S3_ENDPOINT:-}" ] && echo 'MinIO')" >&2
  echo "=====================================================================" >&2
fi
exit $rc
