#!/usr/bin/env bash
# Refreshes the committed, self-hosted design assets. Running or testing
# rathaus never needs this script, npm or the network: its output is committed.
#
#   web/kern/build.sh        (needs npm and Debian's python3-fonttools, python3-brotli)
#
# 1. npm ci here (versions pinned in package.json / package-lock.json)
# 2. compiles rathaus.scss (the KERN parts we use) into kern.css
# 3. subsets Fira Sans Regular and SemiBold to Latin (German, English, €, quotes)
# 4. copies the licences (KERN: EUPL-1.2, Fira Sans: OFL-1.1) next to them
# 5. copies axe-core for the browser harness (e2e/axe.min.js)
set -euo pipefail
cd "$(dirname "$0")"
out=../../internal/platform/web/assets
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
mkdir -p "$out/fonts"
npx --no-install sass --no-source-map --style=compressed --load-path=node_modules rathaus.scss "$out/kern.css"
kern=node_modules/@kern-ux/native
unicodes="U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+0160-0161,U+0178,U+017D-017E,U+1E9E,U+2010-2014,U+2018-201E,U+2022,U+2026,U+2039-203A,U+20AC,U+2122,U+2212"
for w in Regular SemiBold; do
  /usr/bin/python3 -m fontTools.subset "$kern/dist/fonts/fira-sans/FiraSans-$w.woff2" \
    --unicodes="$unicodes" --layout-features='kern,liga,lnum,tnum' --flavor=woff2 \
    --output-file="$out/fonts/FiraSans-$w.woff2"
done
cp "$kern/LICENSE.md" "$out/KERN-LICENSE.md"
{
  echo "Fira Sans, subset to Latin by web/kern/build.sh from @kern-ux/native $(node -p "require('./$kern/package.json').version")."
  /usr/bin/python3 -c "from fontTools.ttLib import TTFont; print(TTFont('$kern/dist/fonts/fira-sans/FiraSans-Regular.woff2')['name'].getDebugName(0))"
  echo
  cat OFL-1.1.txt
} > "$out/fonts/OFL.txt"
cp node_modules/axe-core/axe.min.js ../../e2e/axe.min.js
cp node_modules/axe-core/LICENSE ../../e2e/axe-LICENSE.txt
ls -l "$out" "$out/fonts" ../../e2e/axe.min.js
