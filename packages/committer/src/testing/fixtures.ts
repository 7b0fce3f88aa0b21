// Test helpers (not exported from the package): real Redis with a unique prefix, temp dirs, the git CLI,
// and queue messages the way the watcher produces them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { ChangeMessage, SyncMessage, WatchMessage } from "@shiplog/core";
import { QueueNames, pathForKey, toYaml } from "@shiplog/core";
import type { Logger } from "../logger.js";

export const redisConnection = {
  host: process.env["REDIS_HOST"] ?? "127.0.0.1",
  port: Number(process.env["REDIS_PORT"] ?? 6379),
  maxRetriesPerRequest: null,
};

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
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: gitDir },
  });
}

/** `git log` of the branch as objects, newest first. */
export function gitLog(
  gitDir: string,
  branch = "main",
): { sha: string; an: string; ae: string; cn: string; body: string }[] {
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

export function gitFiles(gitDir: string, branch = "main"): Map<string, string> {
  const out = new Map<string, string>();
  let list: string;
  try {
    list = git(gitDir, "ls-tree", "-r", "--name-only", branch);
  } catch (err) {
    if (String(err).includes("Not a valid object name")) return out;
    throw err;
  }
  for (const path of list.split("\n").filter((l) => l !== ""))
    out.set(path, git(gitDir, "show", `${branch}:${path}`));
  return out;
}

export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string>,
  opts: { op?: ChangeMessage["op"]; manager?: string; observedAt?: string } = {},
): ChangeMessage {
  const key = { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespace, name };
  const op = opts.op ?? "modified";
  const content = toYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data });
  return {
    kind: "change",
    op,
    type: "configmaps",
    key,
    path: pathForKey(key),
    resourceVersion: "1",
    observedAt: opts.observedAt ?? new Date().toISOString(),
    ...(opts.manager === undefined ? {} : { manager: opts.manager }),
    ...(op === "deleted" ? {} : { content }),
  };
}

export function configMapSync(paths: string[], namespaces?: string[]): SyncMessage {
  return {
    kind: "sync",
    type: "configmaps",
    group: "",
    resource: "configmaps",
    namespaced: true,
    ...(namespaces ? { namespaces } : {}),
    paths,
    resourceVersion: "100",
    observedAt: new Date().toISOString(),
  };
}

/** The watcher's side of the events queue. */
export class EventProducer {
  readonly queue: Queue<WatchMessage>;
  constructor(prefix: string) {
    this.queue = new Queue<WatchMessage>(QueueNames.events, { connection: redisConnection, prefix });
  }
  async send(...messages: WatchMessage[]): Promise<void> {
    await this.queue.addBulk(
      messages.map((data) => ({ name: data.kind, data, opts: { removeOnComplete: true } })),
    );
  }
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("wait", "active", "completed", "failed", "delayed");
  }
  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Polls until `fn` returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 20000,
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
    await new Promise((r) => setTimeout(r, 50));
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
