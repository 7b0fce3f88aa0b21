// The README's main-job command in its no-cluster form, as CI runs it: scripts/demo.sh --local starts
// (or reuses) the local control plane and a Redis, records sample changes with `shiplog run`, prints the
// history, and stops what it started. This checks what it prints and that it exits 0.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../harness/index.js";
import { isConfigVar } from "./support/cli.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("scripts/demo.sh", () => {
  it("records the sample changes and shows log, blame and the redacted Secret", async (t) => {
    const t0 = Date.now();
    const env: NodeJS.ProcessEnv = { SHIPLOG_QUIET: "1" };
    for (const k of Object.keys(process.env)) if (isConfigVar(k)) env[k] = "";
    const r = await run("bash", ["scripts/demo.sh", "--local"], { cwd: ROOT, env, timeoutMs: 600_000 });
    t.diagnostic(`demo took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out.slice(-4000));
    assert.match(out, /== git log --stat/);
    // Authors are the users behind the requests (admission attribution), mapped where configured.
    assert.match(out, /Alice \(on call\) <alice@example\.com>/, "the scale's author, mapped");
    assert.match(
      out,
      /system:serviceaccount:ci:pipeline <sa\.ci-pipeline@shiplog\.local>[^\n]*\n\s+update deployments\.apps shiplog-demo\/web( \(\d+ updates\))?\n/,
      "the rollout is its own commit, by the CI service account",
    );
    assert.match(out, /system:serviceaccount:vault:rotator <sa\.vault-rotator@/, "the rotation's author");
    assert.match(
      out,
      /bob <bob@shiplog\.local>[^\n]*\n\s+delete configmaps shiplog-demo\/legacy-settings/,
      "the deleter",
    );
    assert.match(out, /Alice \(on call\)\s+admission \| alice \| kubectl-patch/, "the trailers");
    assert.match(out, /widgets\.demo\.shiplog\.dev/);
    assert.match(out, /== git blame shiplog-demo\/deployments\.apps\/web\.yaml/);
    assert.match(
      out,
      /\(Alice \(on call\)\s+\d{4}-\d\d-\d\d\s+\d+\)\s+replicas: 3/,
      "blame shows who set replicas",
    );
    assert.match(out, /password: shiplog:hmac-sha256:[0-9a-f]{32}/, "the redacted Secret");
    assert.doesNotMatch(out, /demo-initial-pw-7f3a|demo-rotated-pw-9c1e/);
    assert.match(out, /no plaintext Secret value in any commit/);
    assert.match(out, /shiplog stopped cleanly \(exit 0\)/);
  });
});
