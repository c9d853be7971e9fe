#!/usr/bin/env bash
# make test-s3: the blob contract tests on both backends and the storage
# tests of every package that takes its blob store from
# platform/blobtest, against a real S3 server (SeaweedFS, built once and
# cached by scripts/seaweedfs.sh). With PG_URL set, on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d -t rathaus-s3.XXXX)
trap 'scripts/s3-server.sh stop "$dir"; rm -rf "$dir"' EXIT
start=$(date +%s)
s3env=$(scripts/s3-server.sh start "$dir") # a failed start stops here (set -e), not at the first test
eval "$s3env"
echo "SeaweedFS S3 at $RATHAUS_TEST_S3_ENDPOINT (ready after $(( $(date +%s) - start )) s)"
export RATHAUS_REQUIRE_S3=1
if [ -n "${PG_URL:-}" ]; then
  export RATHAUS_TEST_POSTGRES_URL="$PG_URL" RATHAUS_REQUIRE_POSTGRES=1
fi
# Every package whose tests use blobtest (found, not listed: modules that
# store documents join by using it), plus the blob contract tests.
pkgs=$(go list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
  awk '/internal\/platform\/blobtest( |$)/ {print $1}' | grep -v '/platform/blobtest$' | sort -u)
echo "packages on S3:"; printf '  %s\n' $pkgs
go test -count=1 ${GOTESTFLAGS:-} $pkgs
