#!/usr/bin/env bash
# Regenerates go.mod for the pinned Traefik release: a wrapper module that requires Traefik and
# copies the replace and exclude lines of the tag's own go.mod (a dependency's replace lines are
# not inherited, and Traefik does not build without them).
# Usage: tools/traefik/generate.sh v3.6.12
set -euo pipefail
shopt -s inherit_errexit
version=${1:?usage: generate.sh <traefik version, e.g. v3.6.12>}
cd "$(dirname "$0")"
source ../wrapper-module.sh
export GOWORK=off
upstream=$(upstream_go_mod github.com/traefik/traefik/v3 "$version")
{
  wrapper_head tools/traefik/generate.sh hostplane.dev/tools/traefik "$upstream" github.com/traefik/traefik/v3 "$version"
  echo
  echo "tool github.com/traefik/traefik/v3/cmd/traefik"
  echo
  sed -n '/^replace (/,/^)/p' "$upstream"
  echo
  sed -n '/^exclude /p' "$upstream"
} > go.mod
rm -f go.sum
go mod tidy
