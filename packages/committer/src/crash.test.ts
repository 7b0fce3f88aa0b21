import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { CommitterStatus } from "./committer.js";
import { EventProducer, git, gitFiles, gitLog, tempDir, waitFor } from "./testing/fixtures.js";
import { configMap } from "./testing/messages.js";
import { prefixesDroppedAfter, testCommitter } from "./testing/start.js";

const runner = fileURLToPath(new URL("./testing/committer-runner.js", import.meta.url));
const newPrefix = prefixesDroppedAfter();

/** Start a committer child process; resolves with a handle once it reports `running`. */
function startChild(repoPath: string, prefix: string, quietPeriodMs: number, maxWindowMs: number) {
  const child = spawn(
    process.execPath,
    [runner, JSON.stringify({ repoPath, prefix, quietPeriodMs, maxWindowMs })],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let status: CommitterStatus | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const parsed = JSON.parse(line) as { status?: CommitterStatus };
    if (parsed.status) status = parsed.status;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    status: () => status,
    kill9: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

describe("kill -9 of a committer child process", () => {
  it("loses nothing when killed mid-window: the next instance commits every held event", async () => {
    using dir = tempDir("kill-window");
    const prefix = newPrefix("kill-window");
    const producer = new EventProducer(prefix);
    // A long quiet period keeps the window open until the kill.
    const child = startChild(dir.path, prefix, 60000, 120000);
    try {
      await waitFor("child running", () => child.status()?.state === "running");
      const events = Array.from({ length: 40 }, (_, i) =>
        configMap("crash", `obj-${i % 10}`, { v: String(i) }, { manager: "m" }),
      );
      await producer.send(...events);
      await waitFor("child holds the whole window", () => child.status()?.windowEvents === 40);
      assert.equal(gitLog(dir.path).length, 0, "nothing committed before the kill");
      await child.kill9();

      const { committer } = testCommitter(dir.path, prefix, { quietPeriodMs: 300 });
      await committer.start();
      try {
        await waitFor(
          "every object committed at its last state",
          () => gitFiles(dir.path).size === 10,
          30000,
        );
        const files = gitFiles(dir.path);
        for (let o = 0; o < 10; o++) {
          assert.match(files.get(`crash/configmaps/obj-${o}.yaml`) ?? "", new RegExp(`v: "${30 + o}"`));
        }
        await waitFor("all jobs completed", async () => {
          const c = await producer.counts();
          return c["active"] === 0 && c["wait"] === 0 && c["failed"] === 0;
        });
      } finally {
        await committer.stop();
      }
      git(dir.path, "fsck", "--strict");
    } finally {
      await producer.close();
    }
  });

  it("loses nothing and commits nothing twice when killed at random moments under load", async () => {
    using dir = tempDir("kill-random");
    const prefix = newPrefix("kill-random");
    const producer = new EventProducer(prefix);
    const last = new Map<number, number>();
    let seq = 0;
    const send = async (n: number): Promise<void> => {
      const batch = [];
      for (let i = 0; i < n; i++) {
        const o = seq % 25;
        last.set(o, seq);
        batch.push(configMap("load", `obj-${o}`, { v: String(seq) }, { manager: `m${o % 3}` }));
        seq++;
      }
      await producer.send(...batch);
    };
    try {
      for (let round = 0; round < 3; round++) {
        const child = startChild(dir.path, prefix, 50, 400);
        await waitFor("child running", () => child.status()?.state === "running", 30000);
        const until = Date.now() + 300 + Math.floor(Math.random() * 700);
        while (Date.now() < until) {
          await send(10);
          await new Promise((r) => setTimeout(r, 20));
        }
        await child.kill9();
      }
      const { committer, logger } = testCommitter(dir.path, prefix, { quietPeriodMs: 300 });
      await committer.start();
      let lastCounts = "";
      try {
        await waitFor(
          "queue drained",
          async () => {
            const c = await producer.counts();
            lastCounts = JSON.stringify({ ...c, status: committer.status() });
            return c["active"] === 0 && c["wait"] === 0 && committer.status().windowEvents === 0;
          },
          40000,
        ).catch((err: unknown) => {
          const problems = logger.lines
            .filter((l) => l.level !== "debug")
            .map((l) => {
              const e = (l.obj as { err?: unknown }).err;
              return `${l.msg ?? ""} ${e instanceof Error ? e.message : ""}`;
            });
          throw new Error(
            `${String(err)}; last counts ${lastCounts}; log: ${[...new Set(problems)].join(" | ")}`,
          );
        });
        await waitFor(
          "last window committed",
          () => {
            const files = gitFiles(dir.path);
            return [...last].every(([o, v]) =>
              (files.get(`load/configmaps/obj-${o}.yaml`) ?? "").includes(`v: "${v}"`),
            );
          },
          20000,
        );
      } finally {
        await committer.stop();
      }
      // No commit is empty: a replayed window never produced a duplicate commit.
      for (const c of gitLog(dir.path)) {
        const changed = git(
          dir.path,
          "diff-tree",
          "--no-commit-id",
          "--name-only",
          "-r",
          "--root",
          c.sha,
        ).trim();
        assert.notEqual(changed, "", `commit ${c.sha} changes nothing`);
      }
      git(dir.path, "fsck", "--strict");
    } finally {
      await producer.close();
    }
  });
});
