/**
 * Benchmark: audit events per second through the receiver's work (JSON.parse + `parseAuditEventList`
 * + `IdentityStore.add` on real Redis) for batches shaped like the apiserver's audit webhook batches.
 * Baselines in the same run: JSON.parse alone, and JSON.parse + parse without the store.
 *
 *   npm run bench -w @shiplog/attribution -- [batches=20] [eventsPerBatch=400]
 *   (needs Redis on 127.0.0.1:6379; 400 is the apiserver's default --audit-webhook-batch-max-size)
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { IdentityStore } from "../identity-store.js";
import { parseAuditEventList } from "../parse.js";
import { auditEvent, eventList } from "../testkit/payloads.test.helper.js";

const BATCHES = Number(process.argv[2] ?? 20);
const PER_BATCH = Number(process.argv[3] ?? 400);
const EVENTS = BATCHES * PER_BATCH;

/** A mix like a real cluster's: most events are reads or non-final stages, a third are kept writes. */
function batches(): string[] {
  const at = new Date().toISOString();
  return Array.from({ length: BATCHES }, (_, b) =>
    JSON.stringify(
      eventList(
        Array.from({ length: PER_BATCH }, (_, i) => {
          const name = `obj-${b}-${i % 50}`;
          switch (i % 3) {
            case 0:
              return auditEvent({ verb: "get", code: 200, name, at });
            case 1:
              return auditEvent({ verb: "watch", stage: "ResponseStarted", code: 200, name, at });
            default:
              return auditEvent({
                verb: "patch",
                code: 200,
                name,
                newResourceVersion: String(b * PER_BATCH + i),
                at,
              });
          }
        }),
      ),
    ),
  );
}

function rate(label: string, start: number): void {
  const secs = (performance.now() - start) / 1000;
  process.stdout.write(
    `${label.padEnd(34)} ${Math.round(EVENTS / secs)
      .toString()
      .padStart(9)} events/s\n`,
  );
}

async function main(): Promise<void> {
  const bodies = batches();
  const bytes = bodies.reduce((n, b) => n + b.length, 0);
  process.stdout.write(`${BATCHES} batches x ${PER_BATCH} events, ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`);

  let start = performance.now();
  let sink = 0;
  for (const b of bodies) sink += (JSON.parse(b) as { items: unknown[] }).items.length;
  rate("baseline: JSON.parse", start);

  start = performance.now();
  for (const b of bodies) sink += parseAuditEventList(JSON.parse(b)).length;
  rate("JSON.parse + parse", start);

  const redis = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 1 });
  const prefix = `bench-attribution-${randomUUID().slice(0, 8)}`;
  try {
    const store = new IdentityStore({ redis, prefix });
    start = performance.now();
    for (const b of bodies) await store.add(parseAuditEventList(JSON.parse(b)));
    rate("JSON.parse + parse + store", start);
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    await redis.quit();
  }
  if (sink < 0) process.stdout.write("unreachable\n"); // keeps the parsed results alive
}

await main();
