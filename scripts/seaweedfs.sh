#!/usr/bin/env bash
# Prints the path of a SeaweedFS `weed` binary, building it once from the Go
# module proxy and caching it under ~/.cache/rathaus/ keyed by version.
# `go install` refuses the module's replace directives, so the module
# directory is copied and built in place (about 5 minutes on 2 cores, once).
set -euo pipefail
VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
CACHE="${RATHAUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rathaus}"
BIN="$CACHE/seaweedfs-$VERSION/weed"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/seaweedfs.lock"
flock 9 # two builds at once would only double the wait
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
start=$(date +%s)
dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "seaweedfs: module directory not found" >&2; exit 1; }
work=$(mktemp -d -t rathaus-seaweedfs.XXXX)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
echo "seaweedfs: building weed $VERSION (once; cached in $CACHE)" >&2
(cd "$work/src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -o "$work/weed" ./weed)
mkdir -p "$(dirname "$BIN")"
mv "$work/weed" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
echo "seaweedfs: built in $(( $(date +%s) - start )) s" >&2
echo "$BIN"
