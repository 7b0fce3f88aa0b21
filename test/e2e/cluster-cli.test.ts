// `npm run cluster -- up|status|down` in its own cache dir: the control plane outlives the command,
// sharedControlPlane() in another process attaches to it, and `down` leaves nothing behind; and
// `free-port` prints a port that can be bound.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../harness/index.js";
import { cacheDir } from "../harness/binaries.js";
import { groupAlive } from "../harness/processes.js";

const cli = fileURLToPath(new URL("../harness/cluster-cli.js", import.meta.url));
const sharedModule = new URL("../harness/index.js", import.meta.url).href;
// A private cache dir (with the real binaries) so this test never touches a developer's `cluster up`.
const cache = mkdtempSync(join(tmpdir(), "shiplog-cluster-cli-"));
symlinkSync(join(cacheDir(), "bin"), join(cache, "bin"));
const env = { SHIPLOG_CACHE_DIR: cache };
const cluster = (...args: string[]) => run(process.execPath, [cli, ...args], { env, timeoutMs: 300_000 });

describe("cluster CLI", () => {
  after(async () => {
    await cluster("down");
    rmSync(cache, { recursive: true, force: true });
  });

  it("up prints the kubeconfig path, survives, and is reused; down stops it", async (t) => {
    const t0 = performance.now();
    const up = await cluster("up", "--no-controller-manager");
    assert.equal(up.code, 0, up.stderr);
    t.diagnostic(`cluster up (etcd + apiserver) took ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    const kubeconfig = up.stdout.trim();
    assert.equal(kubeconfig, join(cache, "run", "cluster", "admin.kubeconfig"));
    assert.ok(existsSync(kubeconfig));

    const status = await cluster("status");
    assert.equal(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { running: boolean; pids: { etcd: number; apiserver: number } };
    assert.equal(st.running, true);
    // The CLI has exited; its processes have not.
    assert.ok(groupAlive(st.pids.etcd) && groupAlive(st.pids.apiserver));

    const again = await cluster("up", "--no-controller-manager");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), kubeconfig);
    assert.match(again.stderr, /already running/);

    // Another process attaches to it through sharedControlPlane() and can use it.
    const script = `
      import { sharedControlPlane } from ${JSON.stringify(sharedModule)};
      const cp = await sharedControlPlane();
      const r = await cp.kubectl(["get", "namespace", "default", "-o", "name"]);
      await cp.stop(); // a no-op on a shared control plane
      console.log(JSON.stringify({ kubeconfig: cp.kubeconfigPath, startupMs: cp.startupMs, out: r.stdout.trim() }));
    `;
    const child = await run(process.execPath, ["--input-type=module", "-e", script], { env });
    assert.equal(child.code, 0, child.stderr);
    const seen = JSON.parse(child.stdout) as { kubeconfig: string; startupMs: number; out: string };
    assert.deepEqual(seen, { kubeconfig, startupMs: 0, out: "namespace/default" });
    assert.ok(groupAlive(st.pids.apiserver), "stop() on the shared control plane must not stop it");

    const down = await cluster("down");
    assert.equal(down.code, 0, down.stderr);
    assert.equal(groupAlive(st.pids.etcd), false);
    assert.equal(groupAlive(st.pids.apiserver), false);
    assert.equal(existsSync(join(cache, "run", "cluster")), false);
    const after = await cluster("status");
    assert.equal(after.code, 1);
    assert.equal((JSON.parse(after.stdout) as { running: boolean }).running, false);
  });

  it("free-port prints a loopback port that can be bound", async () => {
    const r = await cluster("free-port");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\n$/);
    const port = Number(r.stdout.trim());
    assert.ok(port > 0 && port < 65536, `port ${port}`);
    await new Promise<void>((resolve, reject) => {
      const srv = createServer().on("error", reject);
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
    });
    assert.equal((await cluster("free-port", "--nope")).code, 2);
  });
});
