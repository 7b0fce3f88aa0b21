// The resume checkpoints against a real Redis (unique prefix): a round trip, last write wins per type,
// and checkpoints taken under another selection are ignored.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { ResumeStore } from "./resume-store.js";

const connection = { host: "127.0.0.1", port: 6379 };
const prefix = `t-resume-${randomBytes(4).toString("hex")}`;
after(async () => {
  const r = new Redis(connection);
  await r.del(`${prefix}:shiplog-watch-resume`);
  await r.quit();
});

describe("ResumeStore", () => {
  it("round-trips resourceVersions per type, last write wins", async () => {
    const s = new ResumeStore(connection, prefix, "scope-a");
    try {
      assert.deepEqual(await s.load(), new Map());
      await s.save(
        new Map([
          ["configmaps", "10"],
          ["deployments.apps", "20"],
        ]),
      );
      await s.save(new Map([["configmaps", "11"]]));
      assert.deepEqual(
        await s.load(),
        new Map([
          ["configmaps", "11"],
          ["deployments.apps", "20"],
        ]),
      );
    } finally {
      await s.close();
    }
  });

  it("returns nothing when the checkpoints were taken under another scope", async () => {
    const own = new Redis(connection);
    const s = new ResumeStore(own, prefix, "scope-b");
    try {
      assert.deepEqual(await s.load(), new Map());
    } finally {
      await s.close();
    }
    assert.equal(own.status, "ready", "the caller's client stays open");
    await own.quit();
  });
});
