#!/usr/bin/env bash
# Builds the pinned real peers (helm 3 and 4, the helm-cm-push plugin, MinIO, the OCI
# clients oras and crane with the OCI distribution conformance suite, and ChartMuseum
# for benchmarks) once with `go install`, and caches them outside the
# repository. Safe to run again: each binary is built only when missing.
#
#   scripts/peers.sh            build everything, print the cache directory
#   scripts/peers.sh bench      build ChartMuseum only (for scripts/bench.mjs)
#   scripts/peers.sh --env      print `export` lines for the test runner
set -euo pipefail

CACHE="${CHARTROOM_PEERS_DIR:-$HOME/.cache/chartroom/peers}"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export GOPATH="${CHARTROOM_GOPATH:-$HOME/.cache/chartroom/gopath}"

HELM3_VERSION=v3.21.4
HELM4_VERSION=v4.2.4
CM_PUSH_VERSION=v0.10.4
CHARTMUSEUM_VERSION=v0.16.5
ORAS_VERSION=v1.3.6
CRANE_VERSION=v0.22.1
CONFORMANCE_VERSION=v0.0.0-20260831232431-97274622c111
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
      && go get "$spec" && go build -o "$dir/bin.tmp/$bin" "$pkg") || return 1
  fi
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
}

# ChartMuseum (benchmarks only). The module proxy may refuse helm.sh/chartmuseum; then
# it is built from a git clone (or bare mirror) of github.com/helm/chartmuseum named by
# CHARTROOM_CHARTMUSEUM_SRC: the tag $CHARTMUSEUM_VERSION is exported from it into a temp
# directory (a plain source tree of that version works too) and its dependencies come
# from the module proxy as usual.
build_chartmuseum() {
  local dir="$CACHE/chartmuseum" src="${CHARTROOM_CHARTMUSEUM_SRC:-}"
  if [ -x "$dir/bin/chartmuseum" ]; then return 0; fi
  if [ -z "$src" ]; then
    if (build chartmuseum "helm.sh/chartmuseum@$CHARTMUSEUM_VERSION" helm.sh/chartmuseum/cmd/chartmuseum); then return 0; fi
    echo "peers: the module proxy did not serve helm.sh/chartmuseum@$CHARTMUSEUM_VERSION; set CHARTROOM_CHARTMUSEUM_SRC to a git clone of github.com/helm/chartmuseum (or a source tree of $CHARTMUSEUM_VERSION) and run again" >&2
    return 1
  fi
  echo "peers: building chartmuseum $CHARTMUSEUM_VERSION from source at $src" >&2
  local work rev=unknown ok=0
  work=$(mktemp -d)
  if git -C "$src" rev-parse --verify -q "$CHARTMUSEUM_VERSION^{commit}" >/dev/null 2>&1; then
    rev=$(git -C "$src" rev-parse --short "$CHARTMUSEUM_VERSION^{commit}")
    git -C "$src" archive "$CHARTMUSEUM_VERSION" | tar -x -C "$work"
  elif [ -f "$src/go.mod" ] && grep -q '^module helm.sh/chartmuseum$' "$src/go.mod"; then
    echo "peers: $src is not a git repository with tag $CHARTMUSEUM_VERSION; building the tree as it is" >&2
    cp -R "$src/." "$work/"
  else
    echo "peers: $src holds neither tag $CHARTMUSEUM_VERSION nor a helm.sh/chartmuseum source tree" >&2
    rm -rf "$work"; return 1
  fi
  mkdir -p "$dir" && rm -rf "$dir/bin.tmp"
  if (cd "$work" && go build -o "$dir/bin.tmp/chartmuseum" \
      -ldflags "-w -X main.Version=$CHARTMUSEUM_VERSION -X main.Revision=$rev" ./cmd/chartmuseum) 2>"$dir/install.log"; then
    rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin" && ok=1
  else
    tail -n 20 "$dir/install.log" >&2
  fi
  rm -rf "$work"
  [ "$ok" = 1 ]
}

# The OCI distribution conformance suite is a Go test package: compiled once with
# `go test -c` in a throwaway module that pins it, then run as a plain binary.
build_conformance() {
  local dir="$CACHE/conformance"
  if [ -x "$dir/bin/conformance.test" ]; then return 0; fi
  echo "peers: building the OCI distribution conformance suite $CONFORMANCE_VERSION" >&2
  local mod="$dir/module"
  rm -rf "$mod" "$dir/bin.tmp" && mkdir -p "$mod" "$dir/bin.tmp"
  if ! (cd "$mod" && go mod init chartroom-peer-conformance >/dev/null 2>&1 \
      && go get "github.com/opencontainers/distribution-spec/conformance@$CONFORMANCE_VERSION" \
      && go test -c -o "$dir/bin.tmp/conformance.test" github.com/opencontainers/distribution-spec/conformance) \
      >"$dir/install.log" 2>&1; then
    tail -n 20 "$dir/install.log" >&2
    return 1
  fi
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
}

if [ "${1:-}" = "--env" ]; then
  echo "export CHARTROOM_HELM3=$CACHE/helm3/bin/helm"
  echo "export CHARTROOM_HELM4=$CACHE/helm4/bin/helm"
  echo "export CHARTROOM_MINIO=$CACHE/minio/bin/minio"
  echo "export CHARTROOM_HELM_PLUGINS=$CACHE/helm-plugins"
  echo "export CHARTROOM_CHARTMUSEUM=$CACHE/chartmuseum/bin/chartmuseum"
  echo "export CHARTROOM_ORAS=$CACHE/oras/bin/oras"
  echo "export CHARTROOM_CRANE=$CACHE/crane/bin/crane"
  echo "export CHARTROOM_OCI_CONFORMANCE=$CACHE/conformance/bin/conformance.test"
  exit 0
fi

only="${1:-all}"
case "$only" in all|helm) build helm3 "helm.sh/helm/v3@$HELM3_VERSION" helm.sh/helm/v3/cmd/helm; build helm4 "helm.sh/helm/v4@$HELM4_VERSION" helm.sh/helm/v4/cmd/helm;; esac
case "$only" in all|helm|cm-push) build cm-push "github.com/chartmuseum/helm-push@$CM_PUSH_VERSION" github.com/chartmuseum/helm-push/cmd/helm-cm-push;; esac
case "$only" in all|minio) build minio "github.com/minio/minio@$MINIO_VERSION" github.com/minio/minio;; esac
case "$only" in all|oci) build oras "oras.land/oras@$ORAS_VERSION" oras.land/oras/cmd/oras
  build crane "github.com/google/go-containerregistry@$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane
  build_conformance;; esac
case "$only" in bench) build_chartmuseum;; esac

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
