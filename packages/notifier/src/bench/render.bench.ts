/**
 * Benchmark: guard + render + platform layout per published commit, for each platform, on a typical
 * commit (3 changes, ~20-line diffs, one Secret) and a huge one (300 changes with 200-line diffs).
 * Baseline in the same run: JSON.stringify of the same PublishedCommit (the least any sink must do).
 *
 *   npm run bench -w packages/notifier     (after `npx tsc -p packages/notifier`)
 */
import type { PublishedCommit, SinkType } from "@shiplog/core";
import { guardCommit } from "../guard.js";
import { renderCommit } from "../render.js";
import { formatFor } from "../format.js";
import { bigDiff, change, commit, hugeCommit } from "../testkit/commits.test.helper.js";

const FP = (n: number): string => `shiplog:hmac-sha256:${n.toString(16).padStart(32, "0")}`;

function typical(): PublishedCommit {
  return commit({
    changes: [
      change({ diff: bigDiff(20) }),
      change({ type: "configmaps", kind: "ConfigMap", name: "cfg", diff: bigDiff(16) }),
      change({
        type: "secrets",
        kind: "Secret",
        name: "db",
        summary: `data.password hmac:00000001→hmac:00000002`,
        diff: [
          "@@ -6,4 +6,4 @@",
          " data:",
          `-  password: ${FP(1)}`,
          `+  password: ${FP(2)}`,
          " type: Opaque",
        ].join("\n"),
      }),
    ],
  });
}

function measure(label: string, fn: () => unknown, minMs = 1500): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    now = performance.now();
  }
  const perSec = (n / (now - start)) * 1000;
  console.log(
    `${label.padEnd(44)} ${perSec.toFixed(0).padStart(10)} /s   ${(((now - start) / n) * 1000).toFixed(1).padStart(9)} µs each`,
  );
  return perSec;
}

const platforms: SinkType[] = ["slack", "teams", "discord", "mattermost", "webhook"];
const opts = { commitUrlTemplate: "https://github.com/acme/history/commit/{sha}", maxDiffLines: 40 };

for (const [name, c] of [
  ["typical commit (3 changes)", typical()],
  ["huge commit (300 changes x 200 lines)", hugeCommit(300, 200, 200)],
] as const) {
  console.log(`\n${name}: ${JSON.stringify(c).length} bytes as JSON`);
  const base = measure("baseline: JSON.stringify(commit)", () => JSON.stringify(c));
  for (const type of platforms) {
    const sink = { name: "bench", type, secret: type === "webhook" ? "bench-secret-0123456789" : undefined };
    const rate = measure(`guard + render + ${type}`, () => {
      const g = guardCommit(c).commit;
      return formatFor(sink, { kind: "commit", commit: renderCommit(g, opts) }, { deliveryId: "b", nowMs: 0 })
        .body.length;
    });
    console.log(`${"".padEnd(44)} = ${(base / rate).toFixed(1)}x the baseline's time`);
  }
}
