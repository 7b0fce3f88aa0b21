// One control plane shared by many test files: the one `npm run cluster -- up` started (state under
// <cache>/run/cluster, or the kubeconfig named by SHIPLOG_TEST_KUBECONFIG), else one started for this
// test process and killed when it exits.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { binary, cacheDir } from "./binaries.js";
import {
  attachControlPlane,
  ControlPlaneError,
  LocalControlPlane,
  readState,
  startControlPlaneProcesses,
  type ControlPlane,
} from "./control-plane.js";
import { httpCall } from "./net.js";
import { run } from "./run.js";

/** The directory `cluster up` keeps its control plane in. */
export function sharedClusterDir(): string {
  return join(cacheDir(), "run", "cluster");
}

let local: Promise<ControlPlane> | undefined;

/**
 * The shared control plane (always with a controller-manager). Tests must not stop it, and `stop()`
 * on the returned object does nothing; restartApiserver() and compactEtcd() affect every test that
 * shares it, so tests that need them usually start their own with startControlPlane().
 */
export async function sharedControlPlane(): Promise<ControlPlane> {
  const fromEnv = process.env["SHIPLOG_TEST_KUBECONFIG"];
  if (fromEnv) return attachKubeconfig(fromEnv);
  const state = readState(sharedClusterDir());
  if (state && (await healthy(state.server, state.caFile, state.token))) return attachControlPlane(state);
  local ??= startLocal();
  return local;
}

async function startLocal(): Promise<ControlPlane> {
  const cp = await startControlPlaneProcesses({ controllerManager: true }, { owned: true });
  // Processes die with this test process (exit hooks + reaper); the data dir goes with them.
  process.once("exit", () => rmSync(cp.dataDir, { recursive: true, force: true }));
  const state = readState(cp.dataDir);
  if (!state) throw new ControlPlaneError(`${cp.dataDir}: state file missing right after start`);
  return new LocalControlPlane(state, { owned: true, shared: true }, cp.startupMs);
}

export async function healthy(server: string, caFile: string, token: string): Promise<boolean> {
  if (!existsSync(caFile)) return false;
  try {
    const r = await httpCall(`${server}/readyz`, { ca: readFileSync(caFile), token, timeoutMs: 10_000 });
    return r.status === 200;
  } catch (err) {
    if (err instanceof Error) return false; // connection refused: nothing is listening any more
    throw err;
  }
}

/** A kubeconfig from SHIPLOG_TEST_KUBECONFIG: full control when it is one of ours, else API access only. */
function attachKubeconfig(path: string): ControlPlane {
  const state = readState(dirname(path));
  if (state) return attachControlPlane(state);
  if (!existsSync(path)) throw new ControlPlaneError(`SHIPLOG_TEST_KUBECONFIG=${path}: no such file`);
  const doc = parse(readFileSync(path, "utf8")) as {
    clusters?: { cluster?: { server?: string; "certificate-authority"?: string } }[];
    users?: { user?: { token?: string } }[];
  };
  const server = doc.clusters?.[0]?.cluster?.server;
  const caFile = doc.clusters?.[0]?.cluster?.["certificate-authority"];
  const token = doc.users?.[0]?.user?.token;
  if (!server || !caFile || !token) {
    throw new ControlPlaneError(
      `SHIPLOG_TEST_KUBECONFIG=${path}: needs clusters[0].cluster.server, certificate-authority (a file) and users[0].user.token`,
    );
  }
  return new ExternalControlPlane(path, server, caFile, token);
}

function unsupported(what: string): ControlPlaneError {
  return new ControlPlaneError(
    `${what} needs a control plane started by this harness; SHIPLOG_TEST_KUBECONFIG names another one`,
  );
}

class ExternalControlPlane implements ControlPlane {
  readonly etcdEndpoint = "";
  readonly dataDir = "";
  readonly startupMs = 0;
  constructor(
    readonly kubeconfigPath: string,
    readonly server: string,
    readonly caFile: string,
    readonly token: string,
  ) {}
  async kubectl(args: string[], opts: { input?: string; asUser?: string; asGroups?: string[] } = {}) {
    const identity = [
      ...(opts.asUser !== undefined ? [`--as=${opts.asUser}`] : []),
      ...(opts.asGroups ?? []).map((g) => `--as-group=${g}`),
    ];
    return run(await binary("kubectl"), [`--kubeconfig=${this.kubeconfigPath}`, ...identity, ...args], {
      input: opts.input,
    });
  }
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }
  restartApiserver(): Promise<void> {
    return Promise.reject(unsupported("restartApiserver()"));
  }
  compactEtcd(): Promise<{ revision: number }> {
    return Promise.reject(unsupported("compactEtcd()"));
  }
  userKubeconfig(): Promise<string> {
    return Promise.reject(unsupported("userKubeconfig()"));
  }
  tokenKubeconfig(): Promise<string> {
    return Promise.reject(unsupported("tokenKubeconfig()"));
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
