// `shiplog doctor` run in this process as main.ts runs it, against real redis-servers: an evicting
// Redis is a warning with a fix (not a failure), noeviction is ok. The kubeconfig is missing on purpose
// (no apiserver in unit tests), so exactly one check fails and the command exits 1.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExitCodes } from "../cli-error.js";
import { runDoctor, type Finding } from "../testkit/doctor.test.helper.js";
import { startRedisServer, type TestRedisServer } from "../testkit/redis-server.test.helper.js";

const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

describe("shiplog doctor checks Redis's maxmemory-policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-doctor-"));
  const keyFile = join(dir, "hmac.key");
  const servers: TestRedisServer[] = [];
  let lru = "";
  let lruNoConfig = "";
  let noeviction = "";

  /** Runs `shiplog doctor` with a config file for `redisUrl`; returns the exit code and stdout. */
  async function doctor(
    redisUrl: string,
    output: "json" | "text",
    secrets = `secrets:\n  hmacKeyFile: ${keyFile}\n`,
  ): Promise<{ exitCode: number; stdout: string }> {
    return runDoctor(
      dir,
      `redis:\n  url: ${redisUrl}\nrepo:\n  path: ${join(dir, "repo")}\n${secrets}`,
      output,
    );
  }

  async function findings(
    redisUrl: string,
    secrets?: string,
  ): Promise<{ findings: Finding[]; failed: number; warned: number }> {
    const r = await doctor(redisUrl, "json", secrets);
    assert.equal(r.exitCode, ExitCodes.failure, r.stdout);
    return JSON.parse(r.stdout) as { findings: Finding[]; failed: number; warned: number };
  }

  before(async () => {
    writeFileSync(keyFile, "k".repeat(32), { mode: 0o600 });
    const start = async (settings: string[]): Promise<string> => {
      const s = await startRedisServer(settings);
      servers.push(s);
      return s.url;
    };
    [lru, lruNoConfig, noeviction] = await Promise.all([
      start(["--maxmemory-policy", "allkeys-lru"]),
      start(["--maxmemory-policy", "allkeys-lru", "--rename-command", "CONFIG", ""]),
      start(["--maxmemory-policy", "noeviction"]),
    ]);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("an evicting Redis is a warning with a fix, and only the missing kubeconfig fails", async () => {
    const r = await findings(lru);
    const redis = r.findings.filter((f) => f.check.startsWith("redis"));
    assert.deepEqual(
      redis.map((f) => [f.check, f.status]),
      [
        ["redis", "ok"],
        ["redis eviction", "warn"],
      ],
    );
    assert.match(redis[1]?.message ?? "", /^maxmemory-policy is allkeys-lru \(CONFIG GET\): .*lost/);
    assert.match(redis[1]?.fix ?? "", /maxmemory-policy noeviction/);
    assert.deepEqual(
      r.findings.filter((f) => f.status === "fail").map((f) => f.check),
      ["kubeconfig"],
    );
    assert.equal(r.failed, 1);
    assert.equal(r.warned, 1);
  });

  it("reads the policy from INFO memory when CONFIG is disabled (managed Redis)", async () => {
    const r = await findings(lruNoConfig);
    const eviction = r.findings.find((f) => f.check === "redis eviction");
    assert.equal(eviction?.status, "warn");
    assert.match(eviction?.message ?? "", /^maxmemory-policy is allkeys-lru \(INFO memory\)/);
  });

  it("noeviction is ok", async () => {
    const r = await findings(noeviction);
    const eviction = r.findings.find((f) => f.check === "redis eviction");
    assert.deepEqual(eviction, {
      check: "redis eviction",
      status: "ok",
      message: "maxmemory-policy noeviction (CONFIG GET)",
    });
    assert.equal(r.warned, 0);
  });

  it("prints the warning and its fix in text output", async () => {
    const r = await doctor(lru, "text");
    assert.equal(r.exitCode, ExitCodes.failure);
    assert.match(r.stdout, /^\[WARN\] redis eviction: maxmemory-policy is allkeys-lru/m);
    assert.match(r.stdout, /^\[WARN\] redis eviction: .*\n {7}fix: set maxmemory-policy noeviction /m);
    assert.match(r.stdout, /^1 check\(s\) failed, 1 warning\(s\)$/m);
  });

  it("an unreachable Redis fails and skips the policy check", async () => {
    const r = await findings("redis://127.0.0.1:1");
    assert.deepEqual(
      r.findings.filter((f) => f.check.startsWith("redis")).map((f) => [f.check, f.status]),
      [["redis", "fail"]],
    );
  });

  it("encrypt mode checks the fingerprint key too, as redact does", async () => {
    const missing = join(dir, "missing.key");
    const r = await findings(
      noeviction,
      `secrets:\n  mode: encrypt\n  ageRecipients: [${RECIPIENT}]\n  hmacKeyFile: ${missing}\n`,
    );
    const keys = r.findings.filter((f) => f.check === "keys");
    assert.deepEqual(
      keys.map((f) => f.status),
      ["ok", "fail"],
    );
    assert.match(keys[0]?.message ?? "", /^encrypt mode, 1 age recipient/);
    assert.match(keys[1]?.message ?? "", /secrets\.hmacKeyFile .*missing\.key does not exist/);
    const good = await findings(
      noeviction,
      `secrets:\n  mode: encrypt\n  ageRecipients: [${RECIPIENT}]\n  hmacKeyFile: ${keyFile}\n`,
    );
    assert.deepEqual(
      good.findings.filter((f) => f.check === "keys").map((f) => [f.status, f.message]),
      [
        ["ok", "encrypt mode, 1 age recipient(s)"],
        ["ok", `encrypt mode, fingerprint key from ${keyFile}`],
      ],
    );
  });
});
