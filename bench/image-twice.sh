#!/usr/bin/env bash
# Is `npm run image` reproducible? Two builds from empty caches (each its own HOSTPLANE_CACHE:
# mmdebstrap, the Node download and npm ci all run again), then one on the warm cache, of the
# same commit; prints each digest, the build time and the size. Run as root on Debian 12 with a
# clean work tree; results in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
caches=$(mktemp -d /tmp/hostplane-image-caches-XXXXXX)
trap 'rm -rf "$caches"' EXIT
digests=()
for run in cold-1 cold-2 warm; do
  cache="$caches/$run"
  [ "$run" = warm ] && cache="$caches/cold-2"
  start=$(date +%s.%N)
  output=$(HOSTPLANE_CACHE="$cache" npm run --silent image 2>/dev/null)
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  digest=$(echo "$output" | awk 'NR == 1 { print $2 }')
  digests+=("$digest")
  printf '%-7s %s %6.1f s  %s\n' "$run" "$digest" "$seconds" "$(echo "$output" | sed -n 2p)"
done
[ "${digests[0]}" = "${digests[1]}" ] && [ "${digests[1]}" = "${digests[2]}" ] && echo "same digest" || {
  echo "DIGESTS DIFFER"
  exit 1
}
