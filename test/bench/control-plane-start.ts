// How long a test control plane takes to start, phase by phase, against two baselines measured in the
// same run: starting the kube-apiserver binary just to print its version (exec + Go runtime init of a
// ~100 MB binary) and starting etcd alone until /health answers.
//
//   npm run -w @shiplog/e2e bench            (or: node test/dist/bench/control-plane-start.js [runs])
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { binary } from "../harness/binaries.js";
import { startControlPlaneProcesses } from "../harness/control-plane.js";
import { freePort, httpCall } from "../harness/net.js";
import { killGroup, startProcess } from "../harness/processes.js";
import { runOk } from "../harness/run.js";

const runs = Number(process.argv[2] ?? "3");
if (!Number.isInteger(runs) || runs < 1)
  throw new TypeError(`runs must be a positive integer, got ${process.argv[2]}`);

const s = (ms: number): string => (ms / 1000).toFixed(2) + "s";

async function versionBaseline(): Promise<number> {
  const bin = await binary("kube-apiserver");
  const t0 = performance.now();
  await runOk(bin, ["--version"]);
  return performance.now() - t0;
}

async function etcdBaseline(): Promise<number> {
  const bin = await binary("etcd");
  const dir = mkdtempSync(join(tmpdir(), "shiplog-bench-etcd-"));
  const [port, peer] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const p = startProcess(
    {
      name: "etcd",
      cmd: bin,
      args: [
        `--data-dir=${join(dir, "data")}`,
        `--listen-client-urls=http://127.0.0.1:${port}`,
        `--advertise-client-urls=http://127.0.0.1:${port}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      logFile: join(dir, "etcd.log"),
    },
    { owned: true },
  );
  try {
    for (;;) {
      const ok = await httpCall(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - t0;
      await sleep(20);
    }
  } finally {
    await killGroup(p.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`baseline: kube-apiserver --version   ${s(await versionBaseline())}`);
  console.log(`baseline: etcd alone until /health   ${s(await etcdBaseline())}`);
  for (const controllerManager of [false, true]) {
    for (let i = 1; i <= (controllerManager ? 1 : runs); i++) {
      const cp = await startControlPlaneProcesses({ controllerManager }, { owned: true });
      const phases = Object.entries(cp.startupPhases)
        .map(([k, v]) => `${k}=${s(v)}`)
        .join(" ");
      console.log(
        `start ${controllerManager ? "with controller-manager" : "etcd+apiserver"} #${i}: ${s(cp.startupMs)} (${phases})`,
      );
      const t0 = performance.now();
      await cp.stop();
      console.log(`  stop: ${s(performance.now() - t0)}`);
    }
  }
}

await main();
