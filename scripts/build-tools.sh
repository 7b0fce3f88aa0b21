#!/usr/bin/env bash
# Builds the real binaries the test harness runs (kube-apiserver, kube-controller-manager, kubectl,
# etcd, sops, age, age-keygen, helm) from the Go module proxy into a cache keyed by version.
# Idempotent: a binary already in the cache is not rebuilt.
#
#   scripts/build-tools.sh [tool ...]     (default: all)
#   prints nothing but progress on stderr; the cache's bin dir on stdout.
set -euo pipefail

K8S_VERSION="${SHIPLOG_K8S_VERSION:-v1.36.3}"
STAGING_VERSION="${SHIPLOG_K8S_STAGING_VERSION:-v0.36.3}"
ETCD_VERSION="${SHIPLOG_ETCD_VERSION:-v3.6.16}"
SOPS_VERSION="${SHIPLOG_SOPS_VERSION:-v3.13.3}"
AGE_VERSION="${SHIPLOG_AGE_VERSION:-v1.3.2}"
HELM_VERSION="${SHIPLOG_HELM_VERSION:-v3.22.0}"

CACHE="${SHIPLOG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shiplog}"
BIN="$CACHE/bin"
SRC="$CACHE/src"
mkdir -p "$BIN" "$SRC"

die() { echo "build-tools: $*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || die "Go is not installed; install Go >= 1.22 (https://go.dev/dl) and put it on PATH, or set PATH to include /usr/local/go/bin."
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED=0

STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt
  kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming)

# wrapper DIR MODULE_REQUIRE... : a throwaway module that requires the given modules.
wrapper() {
  local dir="$1"; shift
  mkdir -p "$dir"
  if [ ! -f "$dir/go.mod" ]; then
    {
      echo "module shiplog.local/toolbuild"
      echo
      echo "go 1.24"
      echo
      for r in "$@"; do echo "require $r"; done
    } > "$dir/go.mod.tmp"
    mv "$dir/go.mod.tmp" "$dir/go.mod"
  fi
}

k8s_wrapper() {
  local dir="$SRC/k8s-$K8S_VERSION"
  if [ ! -f "$dir/go.mod" ]; then
    mkdir -p "$dir"
    {
      echo "module shiplog.local/toolbuild"
      echo
      echo "go 1.24"
      echo
      echo "require k8s.io/kubernetes $K8S_VERSION"
      echo
      echo "replace ("
      for m in "${STAGING[@]}"; do echo "	k8s.io/$m => k8s.io/$m $STAGING_VERSION"; done
      echo ")"
    } > "$dir/go.mod.tmp"
    mv "$dir/go.mod.tmp" "$dir/go.mod"
  fi
  echo "$dir"
}

build() { # build NAME VERSION DIR PKG LDFLAGS
  local name="$1" version="$2" dir="$3" pkg="$4" ldflags="$5"
  local out="$BIN/$name-$version"
  if [ -x "$out" ]; then
    ln -sfn "$name-$version" "$BIN/$name"
    return 0
  fi
  # Two builds of one tool at once (parallel test runs) must not share the .tmp file.
  local lockfd
  exec {lockfd}>"$BIN/.$name-$version.lock"
  flock "$lockfd"
  if [ -x "$out" ]; then
    ln -sfn "$name-$version" "$BIN/$name"
    exec {lockfd}>&-
    return 0
  fi
  echo "build-tools: building $name $version (first time only; cached in $BIN)" >&2
  local start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg") \
    || die "building $name $version failed (see the go output above); check that the Go module proxy is reachable (go env GOPROXY)"
  mv "$out.tmp" "$out"
  ln -sfn "$name-$version" "$BIN/$name"
  exec {lockfd}>&-
  echo "build-tools: built $name in $((SECONDS - start))s" >&2
}

k8s_ldflags() {
  local v="${K8S_VERSION#v}" major minor
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  local f=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    f+=" -X $p.gitTreeState=clean -X $p.gitCommit=0000000000000000000000000000000000000000"
    f+=" -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

tool() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kubectl)
      local d; d="$(k8s_wrapper)"
      build "$1" "$K8S_VERSION" "$d" "k8s.io/kubernetes/cmd/$1" "$(k8s_ldflags)" ;;
    etcd)
      local d="$SRC/etcd-$ETCD_VERSION"
      wrapper "$d" "go.etcd.io/etcd/server/v3 $ETCD_VERSION"
      build etcd "$ETCD_VERSION" "$d" go.etcd.io/etcd/server/v3 "" ;;
    sops)
      local d="$SRC/sops-$SOPS_VERSION"
      wrapper "$d" "github.com/getsops/sops/v3 $SOPS_VERSION"
      build sops "$SOPS_VERSION" "$d" github.com/getsops/sops/v3/cmd/sops "-X github.com/getsops/sops/v3/version.Version=${SOPS_VERSION#v}" ;;
    age|age-keygen)
      local d="$SRC/age-$AGE_VERSION"
      wrapper "$d" "filippo.io/age $AGE_VERSION"
      build "$1" "$AGE_VERSION" "$d" "filippo.io/age/cmd/$1" "-X main.Version=$AGE_VERSION" ;;
    helm)
      local d="$SRC/helm-$HELM_VERSION"
      wrapper "$d" "helm.sh/helm/v3 $HELM_VERSION"
      build helm "$HELM_VERSION" "$d" helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" ;;
    *) die "unknown tool '$1' (known: kube-apiserver kube-controller-manager kubectl etcd sops age age-keygen helm)" ;;
  esac
}

if [ "$#" -eq 0 ]; then
  set -- etcd kube-apiserver kubectl kube-controller-manager sops age age-keygen helm
fi
for t in "$@"; do tool "$t"; done
echo "$BIN"
