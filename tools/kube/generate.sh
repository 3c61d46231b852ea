#!/usr/bin/env bash
# Regenerates go.mod for the pinned Kubernetes release. k8s.io/kubernetes points its staging
# modules at ./staging/src, which does not exist outside its own repository; this turns each of
# those replace lines, read from the tag's own go.mod, into the published v0.X.Y module.
# Usage: tools/kube/generate.sh v1.35.4
set -euo pipefail
shopt -s inherit_errexit
version=${1:?usage: generate.sh <kubernetes version, e.g. v1.35.4>}
cd "$(dirname "$0")"
source ../wrapper-module.sh
staging="v0.${version#v1.}"
upstream=$(upstream_go_mod k8s.io/kubernetes "$version")
{
  wrapper_head tools/kube/generate.sh hostplane.dev/tools/kube "$upstream" k8s.io/kubernetes "$version"
  echo
  echo "tool ("
  echo "	go.etcd.io/etcd/server/v3"
  echo "	k8s.io/kubernetes/cmd/kube-apiserver"
  echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
  echo ")"
  echo
  echo "replace ("
  sed -n "s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*\$#	\1 => \1 ${staging}#p" "$upstream"
  echo ")"
} > go.mod
rm -f go.sum
go mod tidy
