// Test helpers (not exported from the package): real Redis with a unique prefix, temp dirs, the git CLI
// and the watcher's side of the events queue. Queue messages are built in ./messages.ts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { ChangeMessage, Logger, QueuedMessage, WatchMessage } from "@shiplog/core";
import { QueueNames } from "@shiplog/core";
import type { CommitterOptions } from "../options.js";

export const redisConnection = {
  host: process.env["REDIS_HOST"] ?? "127.0.0.1",
  port: Number(process.env["REDIS_PORT"] ?? 6379),
  maxRetriesPerRequest: null,
};

/** What every committer of the tests and benchmarks needs: the repo, a cluster name, the test Redis. */
export function baseOptions(repoPath: string, prefix: string, cluster = "test-cluster"): CommitterOptions {
  return { repoPath, cluster, queue: { connection: redisConnection, prefix } };
}

export function uniquePrefix(name: string): string {
  return `shiplog-test-committer-${name}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(redisConnection);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export function tempDir(name: string): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), `shiplog-committer-${name}-`));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

export function git(gitDir: string, ...args: string[]): string {
  return execFileSync("git", ["--git-dir", gitDir, ...args], {
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 1 << 28,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: gitDir },
  });
}

/** The branch head, or undefined while it is unborn. */
export function gitHead(gitDir: string, branch = "main"): string | undefined {
  try {
    return git(gitDir, "rev-parse", "--verify", "-q", `refs/heads/${branch}`).trim();
  } catch (err) {
    if ((err as { status?: number }).status === 1) return undefined;
    throw err;
  }
}

/** `git log` of the branch as objects, newest first. */
export function gitLog(
  gitDir: string,
  branch = "main",
): { sha: string; an: string; ae: string; cn: string; body: string }[] {
  if (gitHead(gitDir, branch) === undefined) return [];
  const out = git(gitDir, "log", "--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%B%x1e", branch);
  return out
    .split("\x1e")
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .map((r) => {
      const [sha = "", an = "", ae = "", cn = "", body = ""] = r.split("\x1f");
      return { sha, an, ae, cn, body };
    });
}

/** Every file of the branch with its content (two git processes, whatever the number of files). */
export function gitFiles(gitDir: string, branch = "main"): Map<string, string> {
  const out = new Map<string, string>();
  if (gitHead(gitDir, branch) === undefined) return out;
  const entries = git(gitDir, "ls-tree", "-r", branch)
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [meta = "", path = ""] = l.split("\t");
      return { path, oid: meta.split(" ")[2] ?? "" };
    });
  if (entries.length === 0) return out;
  const raw = execFileSync("git", ["--git-dir", gitDir, "cat-file", "--batch"], {
    input: entries.map((e) => e.oid).join("\n") + "\n",
    maxBuffer: 1 << 28,
  });
  let i = 0;
  for (const e of entries) {
    const nl = raw.indexOf(0x0a, i);
    const size = Number(raw.toString("latin1", i, nl).split(" ")[2]);
    out.set(e.path, raw.toString("utf8", nl + 1, nl + 1 + size));
    i = nl + 1 + size + 1;
  }
  return out;
}

/**
 * A commit by someone else, made with the git CLI on top of `branch`: writes `files` (path -> content),
 * moves the branch with a compare-and-swap and returns the new commit.
 */
export function foreignCommit(gitDir: string, files: Record<string, string>, branch = "main"): string {
  const index = join(gitDir, `foreign-index-${randomUUID().slice(0, 8)}`);
  const run = (args: string[], input?: string): string =>
    execFileSync(
      "git",
      ["--git-dir", gitDir, "-c", "user.name=someone", "-c", "user.email=someone@example.test", ...args],
      {
        encoding: "utf8",
        input,
        env: { ...process.env, GIT_INDEX_FILE: index, GIT_CONFIG_NOSYSTEM: "1", HOME: gitDir },
      },
    ).trim();
  try {
    run(["read-tree", branch]);
    for (const [file, content] of Object.entries(files)) {
      const blob = run(["hash-object", "-w", "--stdin"], content);
      run(["update-index", "--add", "--cacheinfo", `100644,${blob},${file}`]);
    }
    const tree = run(["write-tree"]);
    const head = run(["rev-parse", branch]);
    const sha = run([
      "commit-tree",
      tree,
      "-p",
      head,
      "-m",
      `someone edits ${Object.keys(files).join(", ")}`,
    ]);
    run(["update-ref", `refs/heads/${branch}`, sha, head]);
    return sha;
  } finally {
    rmSync(index, { force: true });
  }
}

/** The watcher's side of the events queue. */
export class EventProducer {
  readonly queue: Queue<QueuedMessage>;
  constructor(prefix: string) {
    this.queue = new Queue<QueuedMessage>(QueueNames.events, { connection: redisConnection, prefix });
  }
  async send(...messages: WatchMessage[]): Promise<void> {
    await this.queue.addBulk(
      messages.map((data) => ({ name: data.kind, data, opts: { removeOnComplete: true } })),
    );
  }
  /** One job per list of `items`, as the watcher sends the objects of a list page (`ListedBatch`). */
  async sendBatches(...batches: ChangeMessage[][]): Promise<void> {
    await this.queue.addBulk(
      batches.map((items) => ({
        name: "batch",
        data: { kind: "batch", type: items[0]?.type ?? "", items },
        opts: { removeOnComplete: true },
      })),
    );
  }
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("wait", "active", "completed", "failed", "delayed");
  }
  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Polls (every `intervalMs`) until `fn` returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 20000,
  intervalMs = 150,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Captures log lines for assertions (and for scanning for secrets). */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; obj: object; msg: string | undefined }[] = [];
  info(obj: object, msg?: string): void {
    this.lines.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: "error", obj, msg });
  }
  debug(obj: object, msg?: string): void {
    this.lines.push({ level: "debug", obj, msg });
  }
  has(msg: RegExp): boolean {
    return this.lines.some((l) => msg.test(l.msg ?? ""));
  }
}
