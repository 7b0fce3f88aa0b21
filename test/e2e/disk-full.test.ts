// A full disk under the repository (issue 12, item 9): the repo lives on a small tmpfs that a filler
// file then fills. `shiplog run` keeps receiving changes it cannot commit (ENOSPC): /healthz and
// /readyz turn 503 within server.stuckAfter plus a sample, naming the committer and its last error,
// so Kubernetes would restart the pod instead of leaving it green while the queue grows. Once space is
// back, the held changes are committed (none lost: main equals the cluster) and both probes are 200
// again. Real tmpfs, control plane, Redis, git and the built CLI. Needs root to mount the tmpfs; skips
// with the reason otherwise.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../harness/index.js";
import { startServing } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt } from "./support/git.js";
import { until } from "./support/until.js";

const cluster = useCluster();

/** Mounts a tmpfs of `size` at a new directory; undefined (and why) when this process may not. */
async function smallDisk(size: string): Promise<{ dir: string } & AsyncDisposable> {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-disk-"));
  const r = await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  if (r.code !== 0) throw new Error(`mount -t tmpfs failed (${r.code}): ${r.stderr}`);
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await run("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const needsRoot = process.getuid?.() === 0 ? false : "mounting a tmpfs needs root";

/** Fills the file system at `dir` with one file until ENOSPC. */
async function fill(dir: string): Promise<string> {
  const file = join(dir, "filler");
  const r = await run("dd", ["if=/dev/zero", `of=${file}`, "bs=64k"]);
  assert.match(r.stderr, /No space left on device/, "the disk is full");
  return file;
}

async function probe(ops: string, path: "/healthz" | "/readyz"): Promise<{ status: number; body: string }> {
  const res = await fetch(`${ops}${path}`);
  return { status: res.status, body: await res.text() };
}

describe("disk full under the repository", { skip: needsRoot }, () => {
  it("turns /healthz and /readyz 503 with the reason, and commits every held change once space is back", async () => {
    await using disk = await smallDisk("16m");
    await using ns = await cluster.namespace("disk-full");
    const sb = cluster.sandbox("disk-full");
    sb.repo = join(disk.dir, "repo");
    mkdirSync(sb.repo);
    const s = await startServing(
      {
        ...sb,
        env: {
          ...sb.env,
          SHIPLOG_REPO_PATH: sb.repo,
          SHIPLOG_NAMESPACES: ns.name,
          SHIPLOG_QUIET_PERIOD: "200ms",
          SHIPLOG_MAX_WINDOW: "1s",
          SHIPLOG_STUCK_AFTER: "3s",
        },
      },
      ["run"],
    );
    try {
      const filler = await fill(disk.dir);
      const names = Array.from({ length: 5 }, (_, i) => `cm-${i}`);
      for (const name of names) {
        await cluster.kubectl([
          "-n",
          ns.name,
          "create",
          "configmap",
          name,
          `--from-literal=v=${"x".repeat(2000)}`,
        ]);
      }
      const sick = await until("/healthz 503 while the disk is full", 60_000, async () => {
        const h = await probe(s.ops, "/healthz");
        return h.status === 503 ? h : undefined;
      });
      assert.match(sick.body, /committer made no progress for .* with \d+ events waiting/);
      assert.equal((await probe(s.ops, "/readyz")).status, 503, "not ready while stuck");
      assert.match(s.logs(), /ENOSPC|No space left|no space/i, "the log says why");

      rmSync(filler);
      writeFileSync(join(disk.dir, "note"), "space is back\n");
      await until(
        "every held change on main",
        90_000,
        async () => {
          for (const name of names)
            if ((await fileAt(sb.repo, `${ns.name}/configmaps/${name}.yaml`)) === undefined) return false;
          return true;
        },
        { detail: () => s.logs().slice(-2000) },
      );
      await until(
        "/healthz and /readyz 200 again",
        60_000,
        async () =>
          (await probe(s.ops, "/healthz")).status === 200 && (await probe(s.ops, "/readyz")).status === 200,
      );
    } finally {
      assert.equal(await s.stop(), 0, s.logs().slice(-2000));
    }
  });
});
