#!/usr/bin/env bash
# The README's main job: record a cluster with `shiplog run`.
#
#   scripts/demo.sh --context my-cluster   record that cluster (any `shiplog run` flags), until Ctrl-C
#   scripts/demo.sh                        the same for the current kubeconfig context if it answers;
#                                          with no reachable cluster: the one-minute local demo
#   scripts/demo.sh --local                the local demo, always
#
# The local demo starts the test control plane (etcd + kube-apiserver + controller-manager, or reuses
# a running one) and a Redis if none answers on 127.0.0.1:6379, runs `shiplog run` into
# .shiplog/demo-repo (git-ignored) with attribution through a validating admission webhook (the
# receiver on loopback, its certificate made with openssl), makes sample changes with kubectl as
# different users (`--as`: a CI service account's rollout, alice's scale, bob's ConfigMap edit and
# deletion, a rotator's Secret rotation, carol's CRD and one of its objects), waits for the commits,
# prints `git log --stat`, a `git blame` of the Deployment, the commit trailers and the redacted Secret
# file, checks that no plaintext Secret value reached Git, and stops what it started.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$SHIPLOG_ROOT"

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
die() { echo "demo: $*" >&2; exit 1; }
cluster() { npm run --silent cluster -- "$@"; } # the test harness's control plane (test/README.md)
# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds; dies naming WHAT after SECONDS.
wait_for() {
  local secs="$1" what="$2"
  shift 2
  for _ in $(seq $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  die "timed out after ${secs}s waiting for $what"
}

scripts/bootstrap.sh
# On a fresh clone bootstrap has just created .toolchain/node: read env.sh again so this shell uses it.
. scripts/env.sh
SHIPLOG=(node "$SHIPLOG_ROOT/packages/cli/dist/main.js")

# --- a real cluster ---------------------------------------------------------------------------------
mode=auto
if [ "${1:-}" = "--local" ]; then mode=local; shift; fi
if [ "$mode" = auto ] && [ "$#" -gt 0 ]; then
  exec "${SHIPLOG[@]}" run "$@"
fi
if [ "$mode" = auto ] && [ -z "${SHIPLOG_DEMO_LOCAL:-}" ]; then
  kc="${KUBECONFIG:-$HOME/.kube/config}"
  # Doctor's apiserver line says whether the current context answers (other checks may fail).
  if [ -f "${kc%%:*}" ] && grep -q '^\[ok  \] apiserver: ' < <("${SHIPLOG[@]}" doctor 2>/dev/null); then
    say "recording the cluster of your current kubeconfig context (Ctrl-C to stop)"
    exec "${SHIPLOG[@]}" run
  fi
fi

# --- the local demo -------------------------------------------------------------------------------
BIN="$(scripts/build-tools.sh etcd kube-apiserver kube-controller-manager kubectl)"
KUBECTL="$BIN/kubectl"
DEMO_DIR="$SHIPLOG_ROOT/.shiplog"
REPO="$DEMO_DIR/demo-repo"
LOG="$DEMO_DIR/demo-shiplog.log"
NS=shiplog-demo
mkdir -p "$DEMO_DIR"
rm -rf "$REPO"

started_cluster=""
redis_pid=""
shiplog_pid=""
webhook=""
cleanup() {
  local rc=$?
  if [ -n "$webhook" ]; then "$KUBECTL" delete validatingwebhookconfiguration "$webhook" --ignore-not-found >/dev/null 2>&1 || true; fi
  if [ -n "$shiplog_pid" ] && kill -0 "$shiplog_pid" 2>/dev/null; then
    kill -TERM "$shiplog_pid" 2>/dev/null || true
    wait "$shiplog_pid" 2>/dev/null || true
  fi
  if [ -n "$redis_pid" ]; then kill -TERM "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$started_cluster" ]; then cluster down >/dev/null 2>&1 || true; fi
  if [ "$rc" -ne 0 ] && [ -f "$LOG" ]; then echo "demo: failed; last lines of $LOG:" >&2; tail -n 20 "$LOG" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "local control plane"
if cluster status >/dev/null 2>&1; then
  echo "reusing the running control plane" >&2
else
  started_cluster=1
fi
KUBECONFIG="$(cluster up | tail -n 1)"
export KUBECONFIG
[ -f "$KUBECONFIG" ] || die "the control plane did not print a kubeconfig"

say "redis"
redis_ping() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
if redis_ping 6379; then
  REDIS_URL=redis://127.0.0.1:6379
  echo "using the Redis on 127.0.0.1:6379" >&2
else
  command -v redis-server >/dev/null || die "no Redis answers on 127.0.0.1:6379 and redis-server is not installed (apt-get install redis-server)"
  port="$(cluster free-port)"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no >"$DEMO_DIR/redis.log" 2>&1 &
  redis_pid=$!
  wait_for 5 "redis-server to start (see $DEMO_DIR/redis.log)" redis_ping "$port"
  REDIS_URL="redis://127.0.0.1:$port"
  echo "started redis-server on port $port" >&2
fi

say "attribution receiver certificate (openssl, 127.0.0.1)"
command -v openssl >/dev/null || die "openssl is needed for the receiver's certificate (apt-get install openssl)"
PKI="$DEMO_DIR/attribution"
rm -rf "$PKI" && mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=shiplog-demo-ca" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$PKI/tls.key" -out "$PKI/tls.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$PKI/san.ext"
openssl x509 -req -in "$PKI/tls.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
  -extfile "$PKI/san.ext" -out "$PKI/tls.crt" >/dev/null 2>&1
attribution_port="$(cluster free-port)"
cat >"$DEMO_DIR/demo-config.yaml" <<EOF
# The local demo's shiplog config (the rest comes from SHIPLOG_* variables). Admission attribution:
# the apiserver sends an AdmissionReview per write to the receiver; commits name the user.
attribution:
  sources: [admission]
  users:
    - { username: alice, name: Alice (on call), email: alice@example.com }
  receiver:
    listen: 127.0.0.1:$attribution_port
    tlsCertFile: $PKI/tls.crt
    tlsKeyFile: $PKI/tls.key
EOF

say "shiplog run (log: $LOG)"
ops_port="$(cluster free-port)"
export SHIPLOG_REDIS_URL="$REDIS_URL"
export SHIPLOG_REDIS_PREFIX="shiplog-demo-$$-$RANDOM"
export SHIPLOG_REPO_PATH="$REPO"
export SHIPLOG_CLUSTER_NAME=demo
export SHIPLOG_QUIET_PERIOD=1s
export SHIPLOG_MAX_WINDOW=5s
export SHIPLOG_LISTEN="127.0.0.1:$ops_port"
# The fingerprint key is generated once into .shiplog/state (outside the repo; see docs/adr/0040).
export XDG_STATE_HOME="$DEMO_DIR/state"
"${SHIPLOG[@]}" run --config "$DEMO_DIR/demo-config.yaml" --kubeconfig "$KUBECONFIG" >"$LOG" 2>&1 &
shiplog_pid=$!
ready() {
  kill -0 "$shiplog_pid" 2>/dev/null || die "shiplog run exited early"
  curl -fsS "http://127.0.0.1:$ops_port/readyz" >/dev/null 2>&1
}
wait_for 120 "shiplog to become ready" ready
echo "ready: the initial state of every type is committed" >&2

say "admission webhook -> the attribution receiver on 127.0.0.1:$attribution_port"
"$KUBECTL" delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
"$KUBECTL" create namespace "$NS" >/dev/null
webhook="shiplog-demo-attribution"
# Writes in the demo namespace, and cluster-scoped ones (the CRD); failurePolicy Ignore: never blocks.
cat <<EOF | "$KUBECTL" apply -f - >/dev/null
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: $webhook}
webhooks:
  - name: attribution.shiplog.dev
    clientConfig:
      url: https://127.0.0.1:$attribution_port/admission
      caBundle: $(base64 -w0 <"$PKI/ca.crt")
    rules:
      - operations: [CREATE, UPDATE, DELETE]
        apiGroups: ["*"]
        apiVersions: ["*"]
        resources: ["*", "*/scale"]
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $NS}}
    failurePolicy: Ignore
    sideEffects: None
    timeoutSeconds: 2
    admissionReviewVersions: [v1]
EOF
# A server-side dry run goes through admission but changes nothing (and is never recorded).
reviews() { curl -fsS "http://127.0.0.1:$ops_port/metrics" 2>/dev/null | awk '/^shiplog_attribution_requests_total\{endpoint="admission"/ {n += $2} END {exit !(n > 0)}'; }
probe() { "$KUBECTL" create configmap probe -n "$NS" --dry-run=server >/dev/null && reviews; }
wait_for 30 "the apiserver to send admission reviews to shiplog" probe
echo "the apiserver sends every write to shiplog's receiver; commits will name the user" >&2

# kubectl as other users: the demo's admin may impersonate anyone (--as); the group keeps their rights.
as() { local user="$1"; shift; "$KUBECTL" --as="$user" --as-group=system:masters "$@" >/dev/null; }
CI=system:serviceaccount:ci:pipeline
ROTATOR=system:serviceaccount:vault:rotator
step() { echo "-- $*" >&2; sleep 2; } # > quiet period: one window (and commit) per step

say "sample changes"
cat <<EOF | as "$CI" apply --server-side --field-manager=ci-pipeline -f -
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]
EOF
cat <<EOF | as "$CI" apply --server-side --field-manager=ci-pipeline -f -
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $NS}
data: {LOG_LEVEL: info, FEATURE_X: "off"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: legacy-settings, namespace: $NS}
data: {OLD: "yes"}
EOF
as "$ROTATOR" create secret generic db-credentials -n "$NS" --from-literal=password=demo-initial-pw-7f3a --field-manager=vault-rotator
step "created a Deployment and two ConfigMaps ($CI) and a Secret ($ROTATOR)"

as "$CI" set image deployment/web -n "$NS" web=nginx:1.28 --field-manager=ci-pipeline
step "rollout: image nginx:1.27 -> nginx:1.28 by $CI"

as alice patch deployment web -n "$NS" --type=merge -p '{"spec":{"replicas":3}}'
step "scale: replicas 1 -> 3 by alice"

as bob patch configmap settings -n "$NS" --type=merge -p '{"data":{"LOG_LEVEL":"debug"}}' --field-manager=kubectl-edit
step "ConfigMap edit: LOG_LEVEL info -> debug by bob"

"$KUBECTL" create secret generic db-credentials -n "$NS" --from-literal=password=demo-rotated-pw-9c1e --dry-run=client -o yaml |
  as "$ROTATOR" apply --server-side --force-conflicts --field-manager=vault-rotator -f -
step "Secret rotation by $ROTATOR"

cat <<EOF | as carol apply --server-side --field-manager=platform-team -f -
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.demo.shiplog.dev}
spec:
  group: demo.shiplog.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}, color: {type: string}}}
EOF
"$KUBECTL" wait --for=condition=Established crd/widgets.demo.shiplog.dev --timeout=60s >/dev/null
sleep 1
cat <<EOF | as carol apply --server-side --field-manager=platform-team -f -
apiVersion: demo.shiplog.dev/v1
kind: Widget
metadata: {name: blue-widget, namespace: $NS}
spec: {size: 3, color: blue}
EOF
step "a CRD (widgets.demo.shiplog.dev) and one Widget by carol"

as bob delete configmap legacy-settings -n "$NS"
echo "-- deleted ConfigMap legacy-settings (bob)" >&2

say "waiting for the commits"
git_() { git -C "$REPO" "$@"; }
on_main() { git_ cat-file -e "main:$NS/$1" 2>/dev/null; }
committed() {
  on_main configmaps/settings.yaml && on_main widgets.demo.shiplog.dev/blue-widget.yaml &&
    ! on_main configmaps/legacy-settings.yaml
}
wait_for 60 "the changes and the deletion to be committed" committed

say "git log --stat"
git_ --no-pager log --stat --stat-count=12 --format='%C(yellow)%h%C(reset) %an <%ae> %ad%n    %s' --date=iso main | cat

say "git blame $NS/deployments.apps/web.yaml"
git_ --no-pager blame --date=short main -- "$NS/deployments.apps/web.yaml" | cat

say "who, from the commit trailers (Shiplog-Attribution | Shiplog-User | Shiplog-Field-Manager)"
git_ --no-pager log -n 8 --format='%h %<(36,trunc)%an %(trailers:key=Shiplog-Attribution,key=Shiplog-User,key=Shiplog-Field-Manager,valueonly,separator=%x20|%x20)' main | cat

say "the Secret as recorded (redact mode: keyed fingerprints, no values)"
git_ --no-pager show "main:$NS/secrets/db-credentials.yaml" | cat

say "shiplog history deployment/web -n $NS --stat"
"${SHIPLOG[@]}" history deployment/web -n "$NS" --stat --no-color --log-level silent | head -n 40

if git_ grep -q -e demo-initial-pw -e demo-rotated-pw -e "$(printf demo-initial-pw-7f3a | base64)" -e "$(printf demo-rotated-pw-9c1e | base64)" $(git_ rev-list --all) -- 2>/dev/null; then
  die "a plaintext Secret value reached the repository"
fi
echo >&2
echo "demo: no plaintext Secret value in any commit; repository: $REPO" >&2

say "stopping"
kill -TERM "$shiplog_pid"
if wait "$shiplog_pid"; then echo "shiplog stopped cleanly (exit 0)" >&2; else die "shiplog exited with $? on SIGTERM"; fi
shiplog_pid=""
"$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
"$KUBECTL" delete crd widgets.demo.shiplog.dev --wait=false >/dev/null 2>&1 || true
"$KUBECTL" delete validatingwebhookconfiguration "$webhook" --ignore-not-found >/dev/null 2>&1 || true
webhook=""
echo "demo: done" >&2
