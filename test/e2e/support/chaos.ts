// What the chaos test needs around the real components: shiplog's stages as separate processes that
// can be SIGKILLed and started again (one log file per start), churn of ConfigMaps and Secrets through
// the apiserver's REST API that rides out outages, and the scans for plaintext Secret values in Git
// objects, Redis and files. (The chat stand-in is support/receiver.ts.)
import { randomBytes, randomInt } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import type { KubeObject } from "@shiplog/core";
import { freePort, run } from "../../harness/index.js";
import { httpCall, type HttpResponse } from "../../harness/net.js";
import { groupAlive, kill9Group, startProcess } from "../../harness/processes.js";
import { CLI, type Sandbox } from "./cli.js";
import { until } from "./until.js";

// ---------------------------------------------------------------------------------------------------
// Stages as processes

export interface StageOptions {
  /** `watch`, `commit` or `notify` (also the log file's name). */
  readonly command: string;
  readonly sandbox: Sandbox;
  /** After the command: e.g. `["--config", file]`. `--listen` is added. */
  readonly args: readonly string[];
  /** Where each start's output goes (`<command>-<n>.log`). */
  readonly logDir: string;
}

/**
 * One `shiplog <command>` process at a time, in its own process group (killed if the test process
 * exits), its stdout and stderr in a file per start, so that a SIGKILL loses no output line.
 */
export class Stage {
  #pid: number | undefined;
  #ops = "";
  readonly logFiles: string[] = [];

  constructor(readonly o: StageOptions) {}

  get name(): string {
    return this.o.command;
  }

  /** Base URL of its ops server (/metrics, /healthz, /readyz). */
  get ops(): string {
    return this.#ops;
  }

  get running(): boolean {
    return this.#pid !== undefined && groupAlive(this.#pid);
  }

  /** Starts it and resolves once /readyz answers 200; rejects (naming its log) if it exits first. */
  async start(readyTimeoutMs = 90_000): Promise<void> {
    if (this.running) throw new Error(`shiplog ${this.name} is already running`);
    const port = await freePort();
    this.#ops = `http://127.0.0.1:${port}`;
    const logFile = join(this.o.logDir, `${this.name}-${this.logFiles.length + 1}.log`);
    this.logFiles.push(logFile);
    const { sandbox: sb } = this.o;
    const pid = startProcess(
      {
        name: `shiplog-${this.name}`,
        cmd: process.execPath,
        args: [CLI, this.name, ...this.o.args, "--listen", `127.0.0.1:${port}`],
        logFile,
        env: sb.env,
        cwd: sb.dir,
      },
      { owned: true },
    ).pid;
    this.#pid = pid;
    await until(
      `shiplog ${this.name} ready (${logFile})`,
      readyTimeoutMs,
      async () => {
        if (!groupAlive(pid)) throw new Error(`shiplog ${this.name} exited at start:\n${this.tail()}`);
        return (await this.get("/readyz"))?.status === 200;
      },
      { intervalMs: 200, detail: () => this.tail() },
    );
  }

  /** A crash: SIGKILL to the process group, no chance to flush or release anything. */
  async kill9(): Promise<void> {
    if (this.#pid !== undefined) await kill9Group(this.#pid);
    this.#pid = undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs = 45_000): Promise<"stopped" | "killed" | "not running"> {
    const pid = this.#pid;
    if (pid === undefined || !groupAlive(pid)) return "not running";
    try {
      process.kill(-pid, "SIGTERM");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
    const deadline = Date.now() + graceMs;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (!groupAlive(pid)) {
      this.#pid = undefined;
      return "stopped";
    }
    await this.kill9();
    return "killed";
  }

  /** A GET on its ops server; undefined when it does not answer. */
  async get(path: string): Promise<HttpResponse | undefined> {
    return httpCall(`${this.#ops}${path}`, { timeoutMs: 2000 }).catch(() => undefined);
  }

  /** Sum of a metric's samples (all label sets); undefined when it does not answer or has none. */
  async metric(name: string): Promise<number | undefined> {
    const res = await this.get("/metrics");
    if (res?.status !== 200) return undefined;
    const re = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm");
    let sum: number | undefined;
    for (const m of res.body.matchAll(re)) sum = (sum ?? 0) + Number(m[1]);
    return sum;
  }

  /** The last `lines` lines of the current start's log. */
  tail(lines = 30): string {
    const file = this.logFiles.at(-1);
    if (file === undefined) return "(never started)";
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      text = `(no log: ${(err as Error).message})`;
    }
    return `--- ${file}\n${text.split("\n").slice(-lines).join("\n")}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// The apiserver's REST API, as the churn and the final comparison use it

/** Requests as the admin (bearer token, the control plane's CA), each bounded by `timeoutMs`. */
export class KubeRest {
  private readonly ca: Buffer;

  constructor(
    private readonly server: string,
    private readonly token: string,
    caFile: string,
  ) {
    this.ca = readFileSync(caFile);
  }

  call(method: string, path: string, body?: object, timeoutMs = 3000): Promise<HttpResponse> {
    return httpCall(`${this.server}${path}`, {
      method,
      ca: this.ca,
      token: this.token,
      timeoutMs,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  /** Every object of a core/v1 type in `namespace`; throws unless the list succeeds. */
  async list(namespace: string, plural: string): Promise<KubeObject[]> {
    const res = await this.call("GET", `/api/v1/namespaces/${namespace}/${plural}`, undefined, 10_000);
    if (res.status !== 200) throw new Error(`list ${plural} in ${namespace}: ${res.status} ${res.body}`);
    return (JSON.parse(res.body) as { items: KubeObject[] }).items;
  }
}

// ---------------------------------------------------------------------------------------------------
// Churn

/** Strings a YAML 1.1 reader would take for something else unless they are quoted. */
const TRICKY = ["yes", "on", "off", "2024-01-01", "012", "1e3", "~", "true", "null", "0x1f"] as const;

export const ChurnOps = ["create", "update", "delete"] as const;
export type ChurnOp = (typeof ChurnOps)[number];

export interface ChurnOptions {
  readonly api: KubeRest;
  readonly namespace: string;
  /** Names `cm-0`... and `secret-0`...: a small pool, so that updates and deletes hit live objects. */
  readonly configMaps: number;
  readonly secrets: number;
  /** Pause after each operation. */
  readonly intervalMs: number;
  /** Field managers (the commit authors), picked at random per operation. */
  readonly managers: readonly string[];
}

/**
 * Creates, updates and deletes ConfigMaps and Secrets in one namespace, one request at a time. A
 * request that fails (the apiserver is restarting) is counted and not retried; what exists is
 * learnt again from 404/409 answers. Secret values are random markers, all remembered (also those of
 * requests that failed, which may still have been applied) for the scans.
 */
export class Churn {
  /** Every plaintext Secret value this churn sent. */
  readonly secretValues: string[] = [];
  readonly ok: Record<ChurnOp, number> = { create: 0, update: 0, delete: 0 };
  failed = 0;
  /** Status or error of the most recent failures, for a message. */
  readonly lastFailures: string[] = [];
  #seq = 0;
  /** name -> exists, as far as we know (unknown after a failed request). */
  readonly #exists = new Map<string, boolean>();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(private readonly o: ChurnOptions) {}

  get succeeded(): number {
    return this.ok.create + this.ok.update + this.ok.delete;
  }

  /** Creates every object of the pool (bounded), before the pipeline starts. */
  async seed(): Promise<void> {
    for (const [plural, n] of [
      ["configmaps", this.o.configMaps],
      ["secrets", this.o.secrets],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const name = `${plural === "configmaps" ? "cm" : "secret"}-${i}`;
        const res = await this.o.api.call(
          "POST",
          `/api/v1/namespaces/${this.o.namespace}/${plural}?fieldManager=chaos-seed`,
          this.body(plural, name),
        );
        if (res.status !== 201) throw new Error(`seeding ${plural}/${name}: ${res.status} ${res.body}`);
        this.#exists.set(`${plural}/${name}`, true);
        this.ok.create++;
      }
    }
  }

  start(): void {
    if (this.#loop) throw new Error("churn already started");
    this.#stop = new AbortController();
    this.#loop = this.run(this.#stop.signal);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.step();
      await sleep(this.o.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One operation on a random object of the pool. */
  async step(): Promise<void> {
    const secret = randomInt(3) === 0;
    const plural = secret ? "secrets" : "configmaps";
    const name = secret ? `secret-${randomInt(this.o.secrets)}` : `cm-${randomInt(this.o.configMaps)}`;
    const key = `${plural}/${name}`;
    const exists = this.#exists.get(key);
    const op: ChurnOp = exists !== true ? "create" : randomInt(4) === 0 ? "delete" : "update";
    const manager = this.o.managers[randomInt(this.o.managers.length)] ?? "chaos";
    const base = `/api/v1/namespaces/${this.o.namespace}/${plural}`;
    let res: HttpResponse;
    try {
      res =
        op === "create"
          ? await this.o.api.call("POST", `${base}?fieldManager=${manager}`, this.body(plural, name))
          : op === "update"
            ? await this.o.api.call("PUT", `${base}/${name}?fieldManager=${manager}`, this.body(plural, name))
            : await this.o.api.call("DELETE", `${base}/${name}`);
    } catch (err) {
      this.#exists.delete(key);
      this.fail(`${op} ${key}: ${(err as Error).message}`);
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      this.ok[op]++;
      this.#exists.set(key, op !== "delete");
      return;
    }
    if (res.status === 409 && op === "create") this.#exists.set(key, true);
    else if (res.status === 404) this.#exists.set(key, false);
    else this.#exists.delete(key);
    this.fail(`${op} ${key}: ${res.status}`);
  }

  private fail(what: string): void {
    this.failed++;
    this.lastFailures.push(what);
    if (this.lastFailures.length > 5) this.lastFailures.shift();
  }

  private body(plural: "configmaps" | "secrets", name: string): object {
    const seq = ++this.#seq;
    if (plural === "configmaps") {
      return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, labels: { app: "chaos" } },
        data: { value: `v-${seq}`, flag: TRICKY[randomInt(TRICKY.length)] ?? "yes" },
      };
    }
    const password = `chaos-secret-${randomBytes(8).toString("hex")}`;
    const token = `chaos-secret-${randomBytes(8).toString("hex")}`;
    this.secretValues.push(password, token);
    return {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name, labels: { app: "chaos" } },
      data: { password: b64(password), token: b64(token) },
    };
  }
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

// ---------------------------------------------------------------------------------------------------
// Scans for plaintext Secret values

/**
 * Which of `values` occur in `text`, as plaintext or base64; the answer names them by index, so that
 * a failure message never prints a value.
 */
export function leakedValues(text: string, values: readonly string[]): number[] {
  const found: number[] = [];
  values.forEach((v, i) => {
    if (text.includes(v) || text.includes(b64(v))) found.push(i);
  });
  return found;
}

/** Every object of the repository (loose and packed), as `git cat-file --batch` prints them. */
export async function gitObjectsText(repo: string): Promise<{ objects: number; text: string }> {
  const r = await run(
    "git",
    ["-c", "safe.directory=*", "-C", repo, "cat-file", "--batch-all-objects", "--batch"],
    { timeoutMs: 120_000 },
  );
  if (r.code !== 0) throw new Error(`git cat-file --batch-all-objects failed: ${r.stderr}`);
  const objects = (r.stdout.match(/^[0-9a-f]{40} (?:blob|tree|commit|tag) \d+$/gm) ?? []).length;
  return { objects, text: r.stdout };
}

/** The contents of every regular file under `dir` (recursively), skipping directories named `skip`. */
export function filesText(dir: string, skip: readonly string[] = []): { files: string[]; text: string } {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!skip.includes(e.name)) walk(p);
      } else if (e.isFile()) files.push(p);
    }
  };
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) walk(dir);
  else files.push(dir);
  return { files, text: files.map((f) => readFileSync(f, "latin1")).join("\n") };
}

/**
 * Every key of a Redis server (or only those under `prefix`) and its content, read by type (SCAN,
 * then GET/HGETALL/LRANGE/...).
 */
export async function redisText(url: string, prefix?: string): Promise<{ keys: number; text: string }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  await redis.connect();
  try {
    const parts: string[] = [];
    let keys = 0;
    let cursor = "0";
    do {
      const [next, batch] =
        prefix === undefined
          ? await redis.scan(cursor, "COUNT", 500)
          : await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      for (const key of batch) {
        keys++;
        const type = await redis.type(key);
        let value: unknown;
        switch (type) {
          case "string":
            value = await redis.get(key);
            break;
          case "hash":
            value = await redis.hgetall(key);
            break;
          case "list":
            value = await redis.lrange(key, 0, -1);
            break;
          case "set":
            value = await redis.smembers(key);
            break;
          case "zset":
            value = await redis.zrange(key, 0, -1, "WITHSCORES");
            break;
          case "stream":
            value = await redis.xrange(key, "-", "+");
            break;
          default:
            value = `(type ${type})`;
        }
        parts.push(key, JSON.stringify(value));
      }
    } while (cursor !== "0");
    return { keys, text: parts.join("\n") };
  } finally {
    redis.disconnect();
  }
}

/** Log messages worth a figure although they are only `info`: the recovery paths of a restart. */
const RECOVERY_MESSAGES = [
  "another committer holds the repo lock; waiting",
  "waiting for jobs of a previous committer to return to the queue",
  "publishing commits left unpublished by a previous run",
] as const;

/**
 * How often each warning, error and recovery message occurs in pino JSON log text (text that is not
 * JSON, such as a library printing to stderr, is counted by its first line), most frequent first.
 */
export function logSummary(text: string): Array<readonly [string, number]> {
  const counts = new Map<string, number>();
  const add = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith("{")) {
      // Text outside the logger: its first line, without a pid (the rest of a stack trace is skipped).
      if (line.startsWith("[") || line.startsWith("(node:"))
        add(`(not JSON) ${line.replace(/^\(node:\d+\)/, "(node)").slice(0, 60)}`);
      continue;
    }
    let entry: { level?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    } catch (err) {
      add(`(unparsable: ${(err as Error).name}) ${line.slice(0, 40)}`);
      continue;
    }
    const msg = typeof entry.msg === "string" ? entry.msg : "(no msg)";
    // pino writes the level as a label ("warn") or as its number (40).
    const serious =
      typeof entry.level === "number"
        ? entry.level >= 40
        : ["warn", "error", "fatal"].includes(String(entry.level));
    if (serious || (RECOVERY_MESSAGES as readonly string[]).includes(msg)) add(msg);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}
