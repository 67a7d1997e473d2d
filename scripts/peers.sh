#!/usr/bin/env bash
# Builds the pinned real peers (helm 3 and 4, the helm-cm-push plugin, MinIO, and
# ChartMuseum for benchmarks) once with `go install`, and caches them outside the
# repository. Safe to run again: each binary is built only when missing.
#
#   scripts/peers.sh            build everything, print the cache directory
#   scripts/peers.sh --env      print `export` lines for the test runner
set -euo pipefail

CACHE="${CHARTROOM_PEERS_DIR:-$HOME/.cache/chartroom/peers}"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export GOPATH="${CHARTROOM_GOPATH:-$HOME/.cache/chartroom/gopath}"

HELM3_VERSION=v3.21.4
HELM4_VERSION=v4.2.4
CM_PUSH_VERSION=v0.10.4
CHARTMUSEUM_VERSION=v0.16.5
# MinIO publishes source only; pinned to the pseudo-version the module proxy served
# when this was written (see README "Real peers").
MINIO_VERSION="${CHARTROOM_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

build() { # build <name> <module>@<version> <package path>
  local name=$1 spec=$2 pkg=$3 dir="$CACHE/$1"
  local bin; bin=$(basename "$pkg")
  if [ -x "$dir/bin/$bin" ]; then return 0; fi
  echo "peers: building $pkg from $spec" >&2
  rm -rf "$dir/bin.tmp" && mkdir -p "$dir"
  if ! GOBIN="$dir/bin.tmp" go install "$pkg@${spec#*@}" 2>"$dir/install.log"; then
    # `go install pkg@version` also asks the proxy for the module's version list to
    # check deprecation, which some modules refuse; a throwaway module that requires
    # the exact version builds the same code without that look-up.
    echo "peers: go install refused ($(tail -n 1 "$dir/install.log")); building through a pinning module" >&2
    local mod="$dir/module"
    rm -rf "$mod" && mkdir -p "$mod"
    (cd "$mod" && go mod init "chartroom-peer-$name" >/dev/null 2>&1 \
      && go get "$spec" && go build -o "$dir/bin.tmp/$bin" "$pkg")
  fi
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
}

if [ "${1:-}" = "--env" ]; then
  echo "export CHARTROOM_HELM3=$CACHE/helm3/bin/helm"
  echo "export CHARTROOM_HELM4=$CACHE/helm4/bin/helm"
  echo "export CHARTROOM_MINIO=$CACHE/minio/bin/minio"
  echo "export CHARTROOM_HELM_PLUGINS=$CACHE/helm-plugins"
  echo "export CHARTROOM_CHARTMUSEUM=$CACHE/chartmuseum/bin/chartmuseum"
  exit 0
fi

only="${1:-all}"
case "$only" in all|helm) build helm3 "helm.sh/helm/v3@$HELM3_VERSION" helm.sh/helm/v3/cmd/helm; build helm4 "helm.sh/helm/v4@$HELM4_VERSION" helm.sh/helm/v4/cmd/helm;; esac
case "$only" in all|helm|cm-push) build cm-push "github.com/chartmuseum/helm-push@$CM_PUSH_VERSION" github.com/chartmuseum/helm-push/cmd/helm-cm-push;; esac
case "$only" in all|minio) build minio "github.com/minio/minio@$MINIO_VERSION" github.com/minio/minio;; esac
case "$only" in bench) build chartmuseum "helm.sh/chartmuseum@$CHARTMUSEUM_VERSION" helm.sh/chartmuseum/cmd/chartmuseum;; esac

# The cm-push plugin, set up from the project's own plugin.yaml (helm plugin install
# would download). Helm finds it through HELM_PLUGINS.
if [ -x "$CACHE/cm-push/bin/helm-cm-push" ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
  plug="$CACHE/helm-plugins/cm-push"
  mkdir -p "$plug/bin"
  cp "$here/scripts/helm-plugin/plugin.yaml" "$plug/plugin.yaml"
  cp "$CACHE/cm-push/bin/helm-cm-push" "$plug/bin/helm-cm-push"
fi
echo "$CACHE"
