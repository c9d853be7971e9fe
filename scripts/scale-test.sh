#!/usr/bin/env bash
# make scale-test: two `rathaus serve` on one PostgreSQL database (created
# for the run) and one SeaweedFS bucket behind a local haproxy; load, one
# instance killed with SIGKILL, a rolling restart; every acknowledged write
# checked in the database and the bucket. The last stdout line is the JSON
# report; exit 1 when a write was lost or a request failed during the
# rolling restart.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing haproxy (Debian package)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >&2
fi
CGO_ENABLED=0 go build -trimpath -o bin/rathaus ./cmd/rathaus
dir=$(mktemp -d -t rathaus-s3.XXXX)
trap 'scripts/s3-server.sh stop "$dir"; rm -rf "$dir"' EXIT
s3env=$(scripts/s3-server.sh start "$dir") # a failed start stops here (set -e), not at the first test
eval "$s3env"
go run ./scripts/scaletest -bin bin/rathaus -pg "$PG_URL" ${SCALE_FLAGS:-}
