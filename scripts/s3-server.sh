#!/usr/bin/env bash
# Starts a private SeaweedFS (`weed server -s3`) for tests and the scale test:
#   eval "$(scripts/s3-server.sh start DIR)"   # prints export lines
#   scripts/s3-server.sh stop DIR
# DIR holds its data, log and pid; ports are free ones chosen at start.
# Buckets: rathaus (read-write for the test identity), rathaus-readonly (the
# same identity may only read and list there: write-protected) and
# rathaus-full (writable, but over its 1 MiB quota, which SeaweedFS's quota
# enforcement turns into a bucket refusing every write — a full bucket).
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
case "$cmd" in
stop)
  if [ -f "$dir/weed.pid" ]; then
    pid=$(cat "$dir/weed.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/weed.pid"
  fi
  exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
weed=$("$here/seaweedfs.sh")
mkdir -p "$dir/data"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# gRPC ports default to port+10000: keep every port below 50000.
pick() { while :; do p=$(free_port); [ "$p" -lt 50000 ] && echo "$p" && return; done; }
s3=$(pick); master=$(pick); volume=$(pick); filer=$(pick)
ak=rathaus-test; sk=rathaus-test-secret
cat > "$dir/s3.json" <<JSON
{"identities": [
  {"name": "rathaus", "credentials": [{"accessKey": "$ak", "secretKey": "$sk"}],
   "actions": ["Admin:rathaus", "Read:rathaus", "Write:rathaus", "List:rathaus", "Tagging:rathaus",
               "Read:rathaus-readonly", "List:rathaus-readonly",
               "Read:rathaus-full", "Write:rathaus-full", "List:rathaus-full"]},
  {"name": "admin", "credentials": [{"accessKey": "rathaus-admin", "secretKey": "rathaus-admin-secret"}],
   "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
]}
JSON
"$weed" server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$master" -master.port.grpc=$((master+10000)) -master.telemetry=false \
  -master.volumeSizeLimitMB=1024 -volume.max=100 \
  -volume.port="$volume" -volume.port.grpc=$((volume+10000)) \
  -filer.port="$filer" -filer.port.grpc=$((filer+10000)) -filer.localSocket="$dir/filer.sock" \
  -s3 -s3.port="$s3" -s3.port.grpc=$((s3+10000)) -s3.config="$dir/s3.json" -s3.localSocket="$dir/s3.sock" \
  -s3.port.iceberg=0 -s3.port.lance=0 \
  >"$dir/weed.log" 2>&1 &
echo $! > "$dir/weed.pid"
# Wait for the S3 gateway, then create the buckets (as the admin identity).
ok=0
for _ in $(seq 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$s3/healthz" 2>/dev/null || curl -sS -o /dev/null "http://127.0.0.1:$s3/" 2>/dev/null; then ok=1; break; fi
  kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || break
  sleep 0.25
done
if [ $ok != 1 ]; then echo "seaweedfs did not start; log: $dir/weed.log" >&2; tail -20 "$dir/weed.log" >&2; exit 1; fi
wsh() { printf '%s\n' "$@" | (cd "$dir" && timeout 60 "$weed" shell -master="127.0.0.1:$master") >>"$dir/shell.log" 2>&1; }
ok=0
for _ in $(seq 60); do # the filer may need a moment to join the master
  wsh "s3.bucket.create -name rathaus" "s3.bucket.create -name rathaus-readonly" "s3.bucket.create -name rathaus-full" \
      "s3.bucket.quota -name rathaus-full -op set -sizeMB 1"
  if printf 's3.bucket.list\n' | (cd "$dir" && timeout 60 "$weed" shell -master="127.0.0.1:$master") 2>/dev/null | grep -q 'rathaus-full.*quota'; then ok=1; break; fi
  sleep 0.5
done
[ $ok = 1 ] || { echo "seaweedfs: could not create the buckets; see $dir/shell.log" >&2; exit 1; }
# Fill rathaus-full past its quota through the filer, wait for the usage to be
# counted, and let the quota enforcement mark it read-only.
head -c 2000000 /dev/urandom > "$dir/filler.bin"
curl -fsS -o /dev/null -F file=@"$dir/filler.bin" "http://127.0.0.1:$filer/buckets/rathaus-full/filler.bin"
rm -f "$dir/filler.bin"
ok=0
for _ in $(seq 120); do
  if printf 's3.bucket.list\n' | (cd "$dir" && timeout 60 "$weed" shell -master="127.0.0.1:$master") 2>/dev/null | grep 'rathaus-full' | grep -qv 'usage:0.00%'; then ok=1; break; fi
  sleep 0.5
done
[ $ok = 1 ] || { echo "seaweedfs: the quota of rathaus-full was not counted in time" >&2; exit 1; }
wsh "s3.bucket.quota.enforce -apply"
cat <<ENV
export RATHAUS_TEST_S3_ENDPOINT=127.0.0.1:$s3
export RATHAUS_TEST_BLOB_URL='s3://rathaus?endpoint=127.0.0.1:$s3&region=us-east-1&tls=false'
export RATHAUS_TEST_BLOB_READONLY_URL='s3://rathaus-readonly?endpoint=127.0.0.1:$s3&region=us-east-1&tls=false'
export RATHAUS_TEST_BLOB_FULL_URL='s3://rathaus-full?endpoint=127.0.0.1:$s3&region=us-east-1&tls=false'
export RATHAUS_S3_ACCESS_KEY=$ak
export RATHAUS_S3_SECRET_KEY=$sk
export RATHAUS_TEST_S3_ADMIN_ACCESS_KEY=rathaus-admin
export RATHAUS_TEST_S3_ADMIN_SECRET_KEY=rathaus-admin-secret
ENV
