// The set-up every e2e file shares: `useCluster()` registers the file's (or suite's) before/after hooks
// for a control plane (the shared one unless the file starts its own) and the test Redis, and hands out
// kubectl that fails loudly, namespaces that delete themselves (`await using`) and CLI sandboxes wired
// to both.
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  sharedControlPlane,
  testRedis,
  uniquePrefix,
  type ControlPlane,
  type TestRedis,
} from "../../harness/index.js";
import { sandbox, type Sandbox } from "./cli.js";

export interface ClusterOptions {
  /**
   * Starts this file's control plane, e.g. a private one whose apiserver a test restarts. Whatever it
   * returns is stopped in `after` (a no-op for the shared one).
   * @defaultValue sharedControlPlane
   */
  controlPlane?: () => Promise<ControlPlane>;
}

export interface PatchOptions {
  /** `--field-manager`: the author shiplog records. */
  fieldManager?: string;
  /** `--subresource`, e.g. `status`. */
  subresource?: string;
}

/** A namespace created for one test; disposing it deletes it (without waiting for it to go). */
export interface TestNamespace extends AsyncDisposable {
  readonly name: string;
}

export interface Cluster {
  /** Set by the `before` hook: use it inside tests and hooks, not while the file loads. */
  readonly cp: ControlPlane;
  readonly redis: TestRedis;
  /** kubectl as the admin; resolves with stdout, rejects unless it exits 0. */
  readonly kubectl: (args: string[], input?: string) => Promise<string>;
  /** `kubectl -n <ns> patch <ref> --type=merge -p <JSON of patch>`; `ref` is `type/name`. */
  readonly patch: (ns: string, ref: string, patch: object, opts?: PatchOptions) => Promise<string>;
  /** `kubectl -n <ns> create secret generic <name> --from-literal=k=v...`, then `extra` flags. */
  readonly createSecret: (
    ns: string,
    name: string,
    literals: Record<string, string>,
    extra?: string[],
  ) => Promise<string>;
  /** Creates a namespace named `uniquePrefix(label)`: `await using ns = await cluster.namespace("x")`. */
  readonly namespace: (label: string) => Promise<TestNamespace>;
  /**
   * Disposing it runs `kubectl delete <what...> --ignore-not-found --wait=false` and ignores a failure:
   * `await using _crd = cluster.cleanup("crd", name)` for objects a test may or may not have created.
   */
  readonly cleanup: (...what: string[]) => AsyncDisposable;
  /** A CLI sandbox on this control plane and (unless `redisUrl` says otherwise) this Redis. */
  readonly sandbox: (label: string, redisUrl?: string) => Sandbox;
}

/** Registers `before`/`after` hooks in the current file or suite and returns what they set up. */
export function useCluster(opts: ClusterOptions = {}): Cluster {
  let cp: ControlPlane | undefined;
  let redis: TestRedis | undefined;
  before(async () => {
    cp = await (opts.controlPlane ?? sharedControlPlane)();
    redis = await testRedis();
  });
  after(async () => {
    await cp?.stop();
    await redis?.stop();
  });

  function ready<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`useCluster(): ${what} is set in its before hook, not yet`);
    return value;
  }
  async function kubectl(args: string[], input?: string): Promise<string> {
    const r = await ready(cp, "cp").kubectl(args, input !== undefined ? { input } : {});
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }
  async function settled(ns: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await ready(cp, "cp").kubectl([
        "-n",
        ns,
        "get",
        "serviceaccount/default",
        "configmap/kube-root-ca.crt",
        "-o",
        "name",
      ]);
      if (r.code === 0) return;
      await sleep(100);
    }
    throw new Error(`namespace ${ns}: the controller-manager did not create its default objects within 30 s`);
  }

  return {
    get cp() {
      return ready(cp, "cp");
    },
    get redis() {
      return ready(redis, "redis");
    },
    kubectl,
    patch: (ns, ref, patch, o = {}) =>
      kubectl([
        ...["-n", ns, "patch", ref, "--type=merge", "-p", JSON.stringify(patch)],
        ...(o.subresource !== undefined ? [`--subresource=${o.subresource}`] : []),
        ...(o.fieldManager !== undefined ? [`--field-manager=${o.fieldManager}`] : []),
      ]),
    createSecret: (ns, name, literals, extra = []) =>
      kubectl([
        ...["-n", ns, "create", "secret", "generic", name],
        ...Object.entries(literals).map(([k, v]) => `--from-literal=${k}=${v}`),
        ...extra,
      ]),
    namespace: async (label) => {
      const name = uniquePrefix(label);
      await kubectl(["create", "namespace", name]);
      // The shared control plane's controller-manager fills a new namespace (ServiceAccount default,
      // ConfigMap kube-root-ca.crt) a moment later: wait, so that no test's recording races it.
      if (opts.controlPlane === undefined) await settled(name);
      return {
        name,
        async [Symbol.asyncDispose]() {
          await kubectl(["delete", "namespace", name, "--wait=false"]);
        },
      };
    },
    cleanup: (...what) => ({
      async [Symbol.asyncDispose]() {
        await ready(cp, "cp").kubectl(["delete", ...what, "--ignore-not-found", "--wait=false"]);
      },
    }),
    sandbox: (label, redisUrl) =>
      sandbox(label, redisUrl ?? ready(redis, "redis").url, ready(cp, "cp").kubeconfigPath),
  };
}
