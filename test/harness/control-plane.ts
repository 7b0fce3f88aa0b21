// A real Kubernetes control plane for tests: etcd + kube-apiserver (+ optionally
// kube-controller-manager) built from the Go module proxy, on free loopback ports, with generated
// certificates, a service-account key pair, a static admin token and RBAC authorization.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { binary } from "./binaries.js";
import { DEFAULT_AUDIT_POLICY, writeAuditWebhookConfig, writeKubeconfig } from "./kubeconfig.js";
import { freePort, httpCall } from "./net.js";
import { clientCert, createPki, type Pki } from "./pki.js";
import { disown, groupAlive, killGroup, startProcess, startReaper, type ProcessSpec } from "./processes.js";
import { run, type RunResult } from "./run.js";

export interface ControlPlane {
  /** Admin kubeconfig (static token in group system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:port */
  server: string;
  /** The admin bearer token. */
  token: string;
  /** PEM CA that signed the apiserver's serving certificate. */
  caFile: string;
  /** http://127.0.0.1:port (etcd v3 client URL, also serves the JSON gateway). */
  etcdEndpoint: string;
  dataDir: string;
  /** Milliseconds the start took (0 when attached to a running one). */
  startupMs: number;
  kubectl(
    args: string[],
    opts?: { input?: string; asUser?: string; asGroups?: string[] },
  ): Promise<{ stdout: string; stderr: string; code: number }>;
  /** A fresh client-node KubeConfig for the admin user. */
  kubeConfig(): KubeConfig;
  /** Stops and starts the apiserver only (same etcd, same port) and waits for /readyz. */
  restartApiserver(): Promise<void>;
  /** Compacts etcd to its current revision; older resourceVersions then get 410 Gone. */
  compactEtcd(): Promise<{ revision: number }>;
  /** Idempotent; leaves no processes. A no-op on a shared control plane. */
  stop(): Promise<void>;
  /** A kubeconfig authenticating as `user` in `groups` (client certificate signed by the CA). */
  userKubeconfig(user: string, groups?: string[]): Promise<string>;
  /** A kubeconfig with the static bearer token of a user named in `staticTokenUsers`. */
  tokenKubeconfig(user: string): Promise<string>;
}

/** Where the apiserver's audit webhook backend sends its EventLists. */
export interface AuditWebhookTarget {
  /** http(s) URL. */
  url: string;
  /** PEM CA the receiver's serving certificate chains to (the kubeconfig's certificate-authority). */
  caFile?: string;
  /** Bearer token the apiserver presents. */
  token?: string;
  /** --audit-webhook-mode. @defaultValue "batch" */
  mode?: "batch" | "blocking";
  /** --audit-webhook-batch-max-wait. @defaultValue "1s" */
  batchMaxWait?: string;
}

export interface ControlPlaneOptions {
  /**
   * Also run kube-controller-manager (Deployment -> ReplicaSet -> Pod, namespace deletion, garbage
   * collection, service accounts).
   * @defaultValue false
   */
  controllerManager?: boolean;
  /** Turn on the apiserver's audit webhook backend (batch mode, 1s max wait) and send events here. */
  auditWebhookUrl?: string;
  /** Like `auditWebhookUrl`, with TLS trust, a token and the batch settings. */
  auditWebhook?: AuditWebhookTarget;
  /** Users the apiserver knows by a static bearer token (`--token-auth-file`), e.g. alice and bob. */
  staticTokenUsers?: ReadonlyArray<{ user: string; groups?: string[] }>;
  /**
   * Audit policy YAML used with `auditWebhookUrl`.
   * @defaultValue Metadata level for everything except health/discovery probes
   */
  auditPolicy?: string;
  /** Appended to the apiserver's command line (they win over the harness's own flags). */
  extraApiserverArgs?: string[];
  /** Per-resource watch cache sizes, e.g. `{ "configmaps": 10, "deployments.apps": 0 }`. */
  watchCacheSizes?: Record<string, number>;
  /**
   * Where to keep etcd data, certificates, kubeconfigs and logs.
   * @defaultValue a new directory under the OS temp dir, removed by stop()
   */
  dataDir?: string;
  /**
   * How long to wait for etcd, the apiserver and the controller-manager to become ready.
   * @defaultValue 120000
   */
  readyTimeoutMs?: number;
}

/** Everything needed to re-attach to, restart or stop a running control plane (dataDir/state.json). */
export interface ControlPlaneState {
  version: 1;
  dataDir: string;
  server: string;
  token: string;
  caFile: string;
  kubeconfigPath: string;
  etcdEndpoint: string;
  pkiDir: string;
  keepDataDir: boolean;
  /** Static bearer tokens of `staticTokenUsers`, by user. */
  userTokens?: Record<string, string>;
  processes: { etcd: Proc; apiserver: Proc; controllerManager?: Proc; controllerManagerHealthz?: string };
  reaperPid?: number;
}

interface Proc {
  spec: ProcessSpec;
  pid: number;
}

export class ControlPlaneError extends Error {
  override readonly name = "ControlPlaneError";
}

const STATE_FILE = "state.json";
const DURING_START = { owned: true } as const;
/**
 * What a recorder test needs to see a realistic cluster: workloads and their children, namespace
 * deletion, garbage collection, service accounts, endpoints. Node, volume and cloud controllers are
 * left out: there are no nodes or volumes.
 */
const CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "daemonset-controller",
  "job-controller",
  "cronjob-controller",
  "replicationcontroller-controller",
  "namespace-controller",
  "garbage-collector-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "clusterrole-aggregation-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "resourcequota-controller",
  "disruption-controller",
  "ttl-after-finished-controller",
  "pod-garbage-collector-controller",
];
const SERVICE_CIDR = "10.0.0.0/24";
const ISSUER = "https://kubernetes.default.svc.cluster.local";

/** Starts a private control plane for this test process; `stop()` it in an `after` hook. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  return startControlPlaneProcesses(opts, { owned: true });
}

/**
 * Starts the processes. `owned` ones die with this process (exit hooks and a reaper); the others
 * (`cluster up`) outlive it and are stopped from their state file.
 * @internal
 */
export async function startControlPlaneProcesses(
  opts: ControlPlaneOptions,
  mode: { owned: boolean },
): Promise<LocalControlPlane> {
  validate(opts);
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const mark = (phase: string): void => {
    phases[phase] = Math.round(performance.now() - t0);
  };
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const keepDataDir = opts.dataDir !== undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "shiplog-cp-"));
  mkdirSync(join(dataDir, "logs"), { recursive: true });
  const procs: Proc[] = [];
  let reaperPid: number | undefined;
  const groupsFile = join(dataDir, "pgids");
  const track = (p: Proc): Proc => {
    procs.push(p);
    if (mode.owned) writeFileSync(groupsFile, procs.map((q) => q.pid).join("\n") + "\n");
    return p;
  };
  try {
    const [etcdBin, apiserverBin] = [await binary("etcd"), await binary("kube-apiserver")];
    const cmBin = opts.controllerManager ? await binary("kube-controller-manager") : undefined;
    if (mode.owned) {
      const logFile = join(dataDir, "logs", "reaper.log");
      reaperPid = startReaper(process.pid, groupsFile, logFile, keepDataDir ? undefined : dataDir).pid;
    }

    // etcd first: it starts while the certificates are made.
    const [etcdPort, peerPort, apiPort] = await distinctPorts(3);
    const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
    const etcd = track(
      launch(
        {
          name: "etcd",
          cmd: etcdBin,
          args: [
            "--name=shiplog-test",
            `--data-dir=${join(dataDir, "etcd")}`,
            `--listen-client-urls=${etcdEndpoint}`,
            `--advertise-client-urls=${etcdEndpoint}`,
            `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
            `--initial-cluster=shiplog-test=http://127.0.0.1:${peerPort}`,
            "--unsafe-no-fsync=true", // test data; durability across power loss is not needed
            "--log-level=warn",
          ],
          logFile: join(dataDir, "logs", "etcd.log"),
        },
        DURING_START,
      ),
    );

    mark("binaries");
    const pki = await createPki(join(dataDir, "pki"));
    mark("pki");
    const token = randomBytes(24).toString("hex");
    const cmToken = randomBytes(24).toString("hex");
    const tokenFile = join(pki.dir, "tokens.csv");
    const userTokens: Record<string, string> = {};
    const userLines = (opts.staticTokenUsers ?? []).map((u) => {
      const t = randomBytes(24).toString("hex");
      userTokens[u.user] = t;
      const groups = u.groups ?? [];
      return `${t},${u.user},${u.user}${groups.length > 0 ? `,"${groups.join(",")}"` : ""}\n`;
    });
    writeFileSync(
      tokenFile,
      `${token},shiplog-admin,shiplog-admin,"system:masters"\n` +
        `${cmToken},system:kube-controller-manager,system:kube-controller-manager\n` +
        userLines.join(""),
      { mode: 0o600 },
    );
    await waitFor("etcd", etcd, readyTimeoutMs, async () => {
      const r = await httpCall(`${etcdEndpoint}/health`);
      return r.status === 200 && r.body.includes('"health":"true"');
    });
    mark("etcdReady");

    const server = `https://127.0.0.1:${apiPort}`;
    const apiArgs = [
      `--etcd-servers=${etcdEndpoint}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=Node,RBAC",
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-account-issuer=${ISSUER}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--allow-privileged=true",
      "--profiling=false",
      "--endpoint-reconciler-type=none",
    ];
    if (opts.watchCacheSizes && Object.keys(opts.watchCacheSizes).length > 0) {
      apiArgs.push(
        "--watch-cache-sizes=" +
          Object.entries(opts.watchCacheSizes)
            .map(([r, n]) => `${r}#${n}`)
            .join(","),
      );
    }
    const audit: AuditWebhookTarget | undefined =
      opts.auditWebhook ?? (opts.auditWebhookUrl !== undefined ? { url: opts.auditWebhookUrl } : undefined);
    if (audit !== undefined) {
      const policy = join(dataDir, "audit-policy.yaml");
      writeFileSync(policy, opts.auditPolicy ?? DEFAULT_AUDIT_POLICY);
      const mode = audit.mode ?? "batch";
      apiArgs.push(
        `--audit-policy-file=${policy}`,
        `--audit-webhook-config-file=${writeAuditWebhookConfig(join(dataDir, "audit-webhook.kubeconfig"), audit)}`,
        `--audit-webhook-mode=${mode}`,
        ...(mode === "batch" ? [`--audit-webhook-batch-max-wait=${audit.batchMaxWait ?? "1s"}`] : []),
      );
    }
    apiArgs.push(...(opts.extraApiserverArgs ?? []));
    const apiSpec: ProcessSpec = {
      name: "kube-apiserver",
      cmd: apiserverBin,
      args: apiArgs,
      logFile: join(dataDir, "logs", "apiserver.log"),
    };
    const apiserver = track(launch(apiSpec, DURING_START));
    const ca = readFileSync(pki.caCert);
    await waitApiserver(apiserver, server, ca, token, readyTimeoutMs);
    mark("apiserverReady");

    const kubeconfigPath = writeKubeconfig(join(dataDir, "admin.kubeconfig"), {
      server,
      caFile: pki.caCert,
      user: { token },
    });

    const state: ControlPlaneState = {
      version: 1,
      dataDir,
      server,
      token,
      caFile: pki.caCert,
      kubeconfigPath,
      etcdEndpoint,
      pkiDir: pki.dir,
      keepDataDir,
      userTokens,
      processes: { etcd, apiserver },
      reaperPid,
    };

    if (cmBin) {
      const cmPort = await freePort();
      const cmKubeconfig = writeKubeconfig(join(dataDir, "controller-manager.kubeconfig"), {
        server,
        caFile: pki.caCert,
        user: { token: cmToken },
      });
      const cm = track(
        launch(
          {
            name: "kube-controller-manager",
            cmd: cmBin,
            args: [
              `--kubeconfig=${cmKubeconfig}`,
              `--authentication-kubeconfig=${cmKubeconfig}`,
              `--authorization-kubeconfig=${cmKubeconfig}`,
              "--bind-address=127.0.0.1",
              `--secure-port=${cmPort}`,
              `--cert-dir=${join(dataDir, "controller-manager-certs")}`,
              "--leader-elect=false",
              "--use-service-account-credentials=true",
              `--service-account-private-key-file=${pki.serviceAccountKey}`,
              `--root-ca-file=${pki.caCert}`,
              `--service-cluster-ip-range=${SERVICE_CIDR}`,
              `--cluster-signing-cert-file=${pki.caCert}`,
              `--cluster-signing-key-file=${pki.caKey}`,
              `--controllers=${CONTROLLERS.join(",")}`,
              "--concurrent-deployment-syncs=2",
              "--concurrent-replicaset-syncs=2",
              "--profiling=false",
            ],
            logFile: join(dataDir, "logs", "controller-manager.log"),
          },
          DURING_START,
        ),
      );
      state.processes.controllerManager = cm;
      state.processes.controllerManagerHealthz = `https://127.0.0.1:${cmPort}/healthz`;
      await waitFor("kube-controller-manager", cm, readyTimeoutMs, async () => {
        const r = await httpCall(`https://127.0.0.1:${cmPort}/healthz`, { insecure: true });
        return r.status === 200;
      });
      mark("controllerManagerReady");
    }

    writeState(state);
    // Owned while starting, so an interrupted `cluster up` leaves nothing behind; then let go.
    if (!mode.owned) for (const p of procs) disown(p.pid);
    const cp = new LocalControlPlane(state, { owned: mode.owned, shared: false }, performance.now() - t0);
    cp.startupPhases = phases;
    return cp;
  } catch (err) {
    for (const p of procs.reverse()) await killGroup(p.pid, 2000);
    if (reaperPid !== undefined) await killGroup(reaperPid, 1000);
    // Keep the logs of a failed start when the caller chose the directory; else they are in the error.
    if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

function validate(opts: ControlPlaneOptions): void {
  if (opts.auditWebhookUrl !== undefined && !/^https?:\/\//.test(opts.auditWebhookUrl)) {
    throw new TypeError(
      `startControlPlane: auditWebhookUrl must be an http(s) URL, got "${opts.auditWebhookUrl}"`,
    );
  }
  if (opts.auditWebhook !== undefined && !/^https?:\/\//.test(opts.auditWebhook.url)) {
    throw new TypeError(
      `startControlPlane: auditWebhook.url must be an http(s) URL, got "${opts.auditWebhook.url}"`,
    );
  }
  if (opts.auditWebhook !== undefined && opts.auditWebhookUrl !== undefined) {
    throw new TypeError("startControlPlane: set auditWebhookUrl or auditWebhook, not both");
  }
  for (const u of opts.staticTokenUsers ?? []) {
    if (!/^[^,"\s]+$/.test(u.user) || ["shiplog-admin", "system:kube-controller-manager"].includes(u.user)) {
      throw new TypeError(`startControlPlane: staticTokenUsers: bad or reserved user name "${u.user}"`);
    }
  }
  for (const [r, n] of Object.entries(opts.watchCacheSizes ?? {})) {
    if (!Number.isInteger(n) || n < 0) {
      throw new TypeError(`startControlPlane: watchCacheSizes["${r}"] must be an integer >= 0, got ${n}`);
    }
  }
  if (opts.readyTimeoutMs !== undefined && !(opts.readyTimeoutMs > 0)) {
    throw new TypeError(`startControlPlane: readyTimeoutMs must be > 0, got ${opts.readyTimeoutMs}`);
  }
  if (opts.extraApiserverArgs?.some((a) => !a.startsWith("--"))) {
    throw new TypeError("startControlPlane: extraApiserverArgs must be --flag=value strings");
  }
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function launch(spec: ProcessSpec, mode: { owned: boolean }): Proc {
  writeFileSync(spec.logFile, `[harness] ${new Date().toISOString()} ${spec.cmd} ${spec.args.join(" ")}\n`, {
    flag: "a",
  });
  const p = startProcess(spec, mode);
  return { spec, pid: p.pid };
}

function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return "(no log)";
  const all = readFileSync(file, "utf8").trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Polls `probe` until it answers true; fails fast if the process dies, with the log's last lines. */
async function waitFor(
  what: string,
  proc: Proc,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    if (!groupAlive(proc.pid)) {
      throw new ControlPlaneError(
        `${what} exited before it was ready. Last lines of ${proc.spec.logFile}:\n${logTail(proc.spec.logFile)}`,
      );
    }
    try {
      if (await probe()) return;
      last = "not ready yet";
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `${what} was not ready after ${timeoutMs}ms (last probe: ${last}). ` +
          `Last lines of ${proc.spec.logFile}:\n${logTail(proc.spec.logFile)}`,
      );
    }
    await sleep(100);
  }
}

async function waitApiserver(
  proc: Proc,
  server: string,
  ca: Buffer,
  token: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor("kube-apiserver", proc, timeoutMs, async () => {
    const r = await httpCall(`${server}/readyz`, { ca, token });
    if (r.status !== 200) return false;
    // /readyz includes the RBAC bootstrap hook; the default namespace comes from a controller loop.
    const ns = await httpCall(`${server}/api/v1/namespaces/default`, { ca, token });
    return ns.status === 200;
  });
}

export function writeState(state: ControlPlaneState): void {
  const file = join(state.dataDir, STATE_FILE);
  writeFileSync(file + ".tmp", JSON.stringify(state, null, 2), { mode: 0o600 });
  // rename is atomic: a concurrent reader sees the old or the new state, never half of it.
  renameSync(file + ".tmp", file);
}

export function readState(dataDir: string): ControlPlaneState | undefined {
  const file = join(dataDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, "utf8")) as ControlPlaneState;
  if (state.version !== 1)
    throw new ControlPlaneError(`${file}: unknown state version ${String(state.version)}`);
  return state;
}

/** A control plane this harness started (now or in an earlier process, via its state file). */
export class LocalControlPlane implements ControlPlane {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly token: string;
  readonly caFile: string;
  readonly etcdEndpoint: string;
  readonly dataDir: string;
  readonly startupMs: number;
  /** Milliseconds from the start call to each phase's end (binaries, pki, etcdReady, apiserverReady, ...). */
  startupPhases: Record<string, number> = {};
  private stopped: Promise<void> | undefined;

  constructor(
    private state: ControlPlaneState,
    private readonly mode: { owned: boolean; shared: boolean },
    startupMs: number,
  ) {
    this.kubeconfigPath = state.kubeconfigPath;
    this.server = state.server;
    this.token = state.token;
    this.caFile = state.caFile;
    this.etcdEndpoint = state.etcdEndpoint;
    this.dataDir = state.dataDir;
    this.startupMs = startupMs;
  }

  /** Process ids (= process group ids) of the running components, for tests and the CLI. */
  pids(): { etcd: number; apiserver: number; controllerManager?: number; reaper?: number } {
    const p = this.state.processes;
    return {
      etcd: p.etcd.pid,
      apiserver: p.apiserver.pid,
      ...(p.controllerManager ? { controllerManager: p.controllerManager.pid } : {}),
      ...(this.state.reaperPid !== undefined ? { reaper: this.state.reaperPid } : {}),
    };
  }

  async kubectl(
    args: string[],
    opts: { input?: string; asUser?: string; asGroups?: string[] } = {},
  ): Promise<RunResult> {
    const kubectl = await binary("kubectl");
    const identity = [
      ...(opts.asUser !== undefined ? [`--as=${opts.asUser}`] : []),
      ...(opts.asGroups ?? []).map((g) => `--as-group=${g}`),
    ];
    return run(
      kubectl,
      [
        `--kubeconfig=${this.kubeconfigPath}`,
        `--cache-dir=${join(this.dataDir, "kubectl-cache")}`,
        ...identity,
        ...args,
      ],
      { input: opts.input, env: { KUBECONFIG: this.kubeconfigPath } },
    );
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  async restartApiserver(timeoutMs = 120_000): Promise<void> {
    const old = this.state.processes.apiserver;
    await killGroup(old.pid);
    const fresh = launch(old.spec, this.mode);
    this.state = { ...this.state, processes: { ...this.state.processes, apiserver: fresh } };
    this.writeGroups();
    writeState(this.state);
    await waitApiserver(fresh, this.server, readFileSync(this.caFile), this.token, timeoutMs);
  }

  async compactEtcd(): Promise<{ revision: number }> {
    // Any range request reports the store's current revision in its header.
    const range = await httpCall(`${this.etcdEndpoint}/v3/kv/range`, {
      method: "POST",
      body: JSON.stringify({ key: Buffer.from("/").toString("base64"), limit: 1 }),
    });
    if (range.status !== 200) throw new ControlPlaneError(`etcd range: HTTP ${range.status}: ${range.body}`);
    const header = (JSON.parse(range.body) as { header?: { revision?: string } }).header;
    const revision = Number(header?.revision);
    if (!Number.isSafeInteger(revision) || revision <= 0) {
      throw new ControlPlaneError(`etcd range: no revision in ${range.body}`);
    }
    const compact = await httpCall(`${this.etcdEndpoint}/v3/kv/compaction`, {
      method: "POST",
      body: JSON.stringify({ revision: String(revision), physical: true }),
      timeoutMs: 30_000,
    });
    if (compact.status !== 200)
      throw new ControlPlaneError(`etcd compaction: HTTP ${compact.status}: ${compact.body}`);
    return { revision };
  }

  async userKubeconfig(user: string, groups: string[] = []): Promise<string> {
    const pki: Pki = {
      dir: this.state.pkiDir,
      caCert: this.caFile,
      caKey: join(this.state.pkiDir, "ca.key"),
      servingCert: "",
      servingKey: "",
      serviceAccountKey: "",
      serviceAccountPub: "",
    };
    const { cert, key } = await clientCert(pki, user, groups);
    const safe = user.replace(/[^A-Za-z0-9_.-]/g, "_");
    return writeKubeconfig(join(this.dataDir, `user-${safe}-${randomBytes(3).toString("hex")}.kubeconfig`), {
      server: this.server,
      caFile: this.caFile,
      user: { clientCertificate: cert, clientKey: key },
      name: safe,
    });
  }

  tokenKubeconfig(user: string): Promise<string> {
    const token = this.state.userTokens?.[user];
    if (token === undefined) {
      return Promise.reject(new ControlPlaneError(`tokenKubeconfig: "${user}" is not in staticTokenUsers`));
    }
    const safe = user.replace(/[^A-Za-z0-9_.-]/g, "_");
    return Promise.resolve(
      writeKubeconfig(join(this.dataDir, `token-${safe}.kubeconfig`), {
        server: this.server,
        caFile: this.caFile,
        user: { token },
        name: safe,
      }),
    );
  }

  stop(): Promise<void> {
    if (this.mode.shared) return Promise.resolve();
    this.stopped ??= stopFromState(this.state);
    return this.stopped;
  }

  private writeGroups(): void {
    if (!this.mode.owned) return;
    const p = this.pids();
    const groups = [p.etcd, p.apiserver, p.controllerManager].filter((x) => x !== undefined);
    writeFileSync(join(this.dataDir, "pgids"), groups.join("\n") + "\n");
  }
}

/** Stops every process recorded in a state (controller-manager, apiserver, etcd, reaper) and cleans up. */
export async function stopFromState(state: ControlPlaneState): Promise<void> {
  const p = state.processes;
  // A stale state file (after a reboot) may name pids that now belong to someone else: only kill
  // processes still running the recorded binary.
  for (const proc of [p.controllerManager, p.apiserver, p.etcd]) {
    if (proc && runsBinary(proc.pid, proc.spec.cmd)) await killGroup(proc.pid);
  }
  if (state.reaperPid !== undefined && runsBinary(state.reaperPid, "/bin/sh"))
    await killGroup(state.reaperPid, 1000);
  if (state.keepDataDir) rmSync(join(state.dataDir, STATE_FILE), { force: true });
  else rmSync(state.dataDir, { recursive: true, force: true });
}

/** True when `pid` is alive and its command line starts with `cmd`. */
export function runsBinary(pid: number, cmd: string): boolean {
  let argv0: string;
  try {
    argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return false;
    throw err;
  }
  return argv0 === cmd && groupAlive(pid);
}

/** Attach to a control plane from its state file (e.g. the one `cluster up` started). */
export function attachControlPlane(state: ControlPlaneState): LocalControlPlane {
  return new LocalControlPlane(state, { owned: false, shared: true }, 0);
}
