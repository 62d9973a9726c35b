#!/usr/bin/env bash
# Start-up figures of the release binary: size, time from exec to the first answered /health
# (fresh SQLite file, so it includes creating the database and running every migration, and on
# a second start with nothing to migrate), and resident memory once it is up.
#   cargo build --release && benches/startup.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/flexkeur"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18471

echo "binary size: $(du -h "$bin" | cut -f1) ($(stat -c %s "$bin") bytes)"
echo "linked libraries: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' ')"

start_once() {
  local label=$1
  cd "$work"
  local t0 t1
  t0=$(date +%s%N)
  FLEXKEUR_BIND=127.0.0.1:$port FLEXKEUR_NORMS_DIR="$root/norms" RUST_LOG=warn "$bin" serve >/dev/null 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.002; done
  t1=$(date +%s%N)
  sleep 0.5
  local rss
  rss=$(awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status")
  echo "$label: first /health after $(( (t1 - t0) / 1000000 )) ms; resident memory after start: $rss"
  kill -TERM "$pid"; wait "$pid" || true
}

start_once "fresh database"
start_once "existing database"
