/**
 * `npm run bench -w @shiplog/cli`: how long `shiplog` takes to start for the commands people run by
 * hand, against the baseline of starting Node itself (measured in the same run), and the cost of
 * decrypting an encrypted Secret in `restore` against the baseline of only parsing its YAML.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createCanonicalizer, defaultConfig, SecretModes } from "@shiplog/core";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse } from "yaml";
import { decryptSopsDocument } from "../restore/sops-decrypt.js";

const CLI = fileURLToPath(new URL("../main.js", import.meta.url));
const RUNS = Number(process.env["BENCH_RUNS"] ?? 15);

function spawnMs(args: string[]): { median: number; p90: number } {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, args, {
      stdio: "ignore",
      env: { PATH: process.env["PATH"] ?? "", HOME: "/tmp" },
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] ?? 0,
    p90: times[Math.floor(times.length * 0.9)] ?? 0,
  };
}

function row(name: string, r: { median: number; p90: number }, base?: number): void {
  const extra = base === undefined ? "" : `  (+${(r.median - base).toFixed(0)} ms over baseline)`;
  process.stdout.write(
    `${name.padEnd(34)} median ${r.median.toFixed(0).padStart(5)} ms  p90 ${r.p90.toFixed(0).padStart(5)} ms${extra}\n`,
  );
}

process.stdout.write(`shiplog CLI start-up, ${RUNS} runs each (Node ${process.version})\n`);
const base = spawnMs(["-e", "0"]);
row("baseline: node -e 0", base);
for (const args of [["version"], ["--help"], ["config", "print"]]) {
  row(`shiplog ${args.join(" ")}`, spawnMs([CLI, ...args]), base.median);
}

const id = await generateIdentity();
const cfg = defaultConfig();
const canon = createCanonicalizer({
  normalize: cfg.normalize,
  secrets: { ...cfg.secrets, mode: SecretModes.encrypt, ageRecipients: [await identityToRecipient(id)] },
  hmacKey: "bench-fingerprint-key-0123456789",
});
const data: Record<string, string> = {};
for (let i = 0; i < 50; i++)
  data[`key-${i}`] = Buffer.from(`value-${i}-${"x".repeat(64)}`).toString("base64");
const r = await canon.canonicalizeAsync(
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "big", namespace: "bench" }, type: "Opaque", data },
);
if (r.skipped) throw new Error("skipped");
const N = 200;
let t0 = performance.now();
for (let i = 0; i < N; i++) parse(r.content);
const parseMs = (performance.now() - t0) / N;
t0 = performance.now();
for (let i = 0; i < N; i++) await decryptSopsDocument(parse(r.content), [id]);
const decMs = (performance.now() - t0) / N;
process.stdout.write(`\nrestore of an encrypted Secret with 50 keys, ${N} runs\n`);
process.stdout.write(`${"baseline: YAML parse only".padEnd(34)} ${parseMs.toFixed(2)} ms/op\n`);
process.stdout.write(`${"parse + age unwrap + 50x AES-GCM + MAC".padEnd(34)} ${decMs.toFixed(2)} ms/op\n`);
