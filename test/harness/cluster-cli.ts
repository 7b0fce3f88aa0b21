// `npm run cluster -- up|down|status`: a shared control plane that outlives this command, for the
// e2e tests (sharedControlPlane() finds it), the demo and debugging.
//
//   up [--no-controller-manager]  start it (or reuse a healthy one); prints the kubeconfig path on stdout
//   down                          stop it and remove its directory (fine when none is running)
//   status                        print its state as JSON; exit 0 when healthy, 1 otherwise
//   free-port                     print a TCP port on 127.0.0.1 that is free (for scripts/demo.sh)
//
// Everything except the kubeconfig path / status JSON / port goes to stderr.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import {
  readState,
  startControlPlaneProcesses,
  stopFromState,
  type ControlPlaneState,
} from "./control-plane.js";
import { freePort } from "./net.js";
import { healthy, sharedClusterDir } from "./shared.js";

const USAGE = "usage: npm run cluster -- up [--no-controller-manager] | down | status | free-port";

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const dir = sharedClusterDir();
  switch (cmd) {
    case "up": {
      const unknown = rest.filter((a) => a !== "--no-controller-manager");
      if (unknown.length > 0) return usage(`unknown option ${unknown.join(" ")}`);
      return withLock(dir, async () => {
        const existing = readState(dir);
        if (existing && (await healthy(existing.server, existing.caFile, existing.token))) {
          process.stderr.write(`cluster: already running at ${existing.server}\n`);
          process.stdout.write(existing.kubeconfigPath + "\n");
          return 0;
        }
        if (existing) {
          process.stderr.write("cluster: found a stale control plane, stopping what is left of it\n");
          await stopFromState(existing);
        }
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const cp = await startControlPlaneProcesses(
          { controllerManager: !rest.includes("--no-controller-manager"), dataDir: dir },
          { owned: false },
        );
        process.stderr.write(
          `cluster: up at ${cp.server} in ${(cp.startupMs / 1000).toFixed(1)}s (logs in ${dir}/logs)\n`,
        );
        process.stdout.write(cp.kubeconfigPath + "\n");
        return 0;
      });
    }
    case "down": {
      if (rest.length > 0) return usage(`unknown option ${rest.join(" ")}`);
      return withLock(dir, async () => {
        const state = readState(dir);
        if (state) await stopFromState(state);
        rmSync(dir, { recursive: true, force: true });
        process.stderr.write(state ? "cluster: stopped\n" : "cluster: none was running\n");
        return 0;
      });
    }
    case "status": {
      const state = readState(dir);
      const ok = state ? await healthy(state.server, state.caFile, state.token) : false;
      process.stdout.write(
        JSON.stringify(state ? summary(state, ok) : { running: false, dir }, null, 2) + "\n",
      );
      return ok ? 0 : 1;
    }
    case "free-port": {
      if (rest.length > 0) return usage(`unknown option ${rest.join(" ")}`);
      process.stdout.write(`${await freePort()}\n`);
      return 0;
    }
    default:
      return usage(cmd === undefined ? "missing command" : `unknown command "${cmd}"`);
  }
}

function summary(state: ControlPlaneState, ok: boolean): Record<string, unknown> {
  const p = state.processes;
  return {
    running: ok,
    server: state.server,
    kubeconfig: state.kubeconfigPath,
    etcd: state.etcdEndpoint,
    dir: state.dataDir,
    pids: {
      etcd: p.etcd.pid,
      apiserver: p.apiserver.pid,
      ...(p.controllerManager ? { controllerManager: p.controllerManager.pid } : {}),
    },
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ESRCH") return false;
    throw err; // EPERM: alive, but not ours -- let the caller see it
  }
}

function usage(problem: string): number {
  process.stderr.write(`cluster: ${problem}\n${USAGE}\n`);
  return 2;
}

/** Serialises up/down: a lock file holding our pid, taken over when its owner is gone. */
async function withLock(dir: string, fn: () => Promise<number>): Promise<number> {
  const lock = `${dir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if (!(err instanceof Error && "code" in err && err.code === "EEXIST")) throw err;
      const owner = Number(existsSync(lock) ? readFileSync(lock, "utf8") : "0");
      if (!owner || !pidAlive(owner)) {
        rmSync(lock, { force: true }); // its owner died
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`cluster: ${lock} held by pid ${owner} for 10 minutes`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
