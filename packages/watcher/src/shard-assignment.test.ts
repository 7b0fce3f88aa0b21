import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assignUnits, DEFAULT_LOAD_FACTOR, weightClass } from "./shard-assignment.js";
import type { Unit } from "./shard-assignment.js";

const memberIds = fc.uniqueArray(fc.stringMatching(/^watch-[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 8 });
const unitList = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^[a-z]{1,10}(\.[a-z]{1,6})?$/),
    weight: fc.integer({ min: 1, max: 4096 }),
  }),
  { selector: (u) => u.id, maxLength: 60 },
);

function loads(assignment: Map<string, string>, units: readonly Unit[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of units) {
    const m = assignment.get(u.id) as string;
    out.set(m, (out.get(m) ?? 0) + u.weight);
  }
  return out;
}

function moved(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([u, m]) => after.get(u) !== m).map(([u]) => u);
}

describe("assignUnits", () => {
  it("gives every replica the same answer, whatever order it learned members and units in", () => {
    fc.assert(
      fc.property(memberIds, unitList, fc.integer(), (members, units, seed) => {
        const a = assignUnits(members, units);
        const shuffle = <T>(xs: readonly T[]): T[] =>
          xs
            .map((x, i) => ({ x, k: Math.imul(i + 1, seed | 1) ^ seed }))
            .sort((p, q) => p.k - q.k)
            .map((p) => p.x);
        const b = assignUnits([...shuffle(members), ...members], shuffle(units));
        assert.deepEqual(b, a);
        assert.equal(a.size, units.length);
        for (const m of a.values()) assert.ok(members.includes(m), m);
      }),
    );
  });

  it("keeps every member within the load bound when no unit is heavier than the slack", () => {
    // 32 units of weight 1-8 per member: the average is at least 32, so no unit exceeds a quarter of it.
    const input = memberIds.chain((members) =>
      fc
        .array(fc.integer({ min: 1, max: 8 }), {
          minLength: 32 * members.length,
          maxLength: 40 * members.length,
        })
        .map((ws) => ({ members, units: ws.map((weight, i) => ({ id: `t${i}`, weight })) })),
    );
    fc.assert(
      fc.property(input, ({ members, units }) => {
        const total = units.reduce((s, u) => s + u.weight, 0);
        const avg = total / members.length;
        assert.ok(units.every((u) => u.weight <= (DEFAULT_LOAD_FACTOR - 1) * avg));
        for (const [m, l] of loads(assignUnits(members, units), units))
          assert.ok(
            l <= DEFAULT_LOAD_FACTOR * avg,
            `${m} holds ${l} of ${total} (${members.length} members)`,
          );
      }),
      { numRuns: 50 },
    );
  });

  it("without a load bound, moves only the leaving member's units, and only to a joining one", () => {
    fc.assert(
      fc.property(memberIds, unitList, fc.stringMatching(/^watch-new[0-9]$/), (members, units, joiner) => {
        const plain = { loadFactor: Infinity };
        const before = assignUnits(members, units, plain);
        const leaver = members[0] as string;
        const afterLeave = assignUnits(members.slice(1), units, plain);
        for (const u of moved(before, afterLeave)) assert.equal(before.get(u), leaver, u);
        const afterJoin = assignUnits([...members, joiner], units, plain);
        for (const u of moved(before, afterJoin)) assert.equal(afterJoin.get(u), joiner, u);
      }),
    );
  });

  it("with the default bound, a join or a death among equal types moves at most twice the minimum", () => {
    const units = Array.from({ length: 300 }, (_, i) => ({ id: `type-${i}`, weight: 1 }));
    const three = ["watch-a", "watch-b", "watch-c"];
    const four = [...three, "watch-d"];
    const a = assignUnits(three, units);
    const b = assignUnits(four, units);
    // The minimum on a join: the new member's fair share (75 of 300); on the death of one of four, its units.
    const join = moved(a, b).length;
    const death = moved(b, a).length;
    const lost = [...b.values()].filter((m) => m === "watch-d").length;
    assert.ok(join <= 2 * 75, `a join moved ${join} of 300`);
    assert.ok(death <= 2 * lost, `a death moved ${death}, the dead member held ${lost}`);
  });

  it("puts a unit heavier than the bound on the least loaded member, and rejects bad weights and factors", () => {
    const a = assignUnits(
      ["x", "y"],
      [
        { id: "pods", weight: 1024 },
        { id: "configmaps", weight: 16 },
        { id: "secrets", weight: 16 },
      ],
    );
    const podsOwner = a.get("pods");
    assert.notEqual(a.get("configmaps"), podsOwner);
    assert.notEqual(a.get("secrets"), podsOwner);
    assert.throws(() => assignUnits(["x"], [{ id: "pods", weight: 0 }]), /unit pods: weight must be/);
    assert.throws(() => assignUnits(["x"], [{ id: "pods", weight: NaN }]), /unit pods: weight must be/);
    assert.throws(() => assignUnits(["x"], [], { loadFactor: 0.5 }), /loadFactor must be at least 1/);
    assert.equal(assignUnits([], [{ id: "pods", weight: 1 }]).size, 0);
  });
});

describe("weightClass", () => {
  it("is the smallest power of two not below the object count, and 1 for an empty type", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        const w = weightClass(n);
        assert.equal(Math.log2(w) % 1, 0);
        assert.ok(w >= Math.max(1, n));
        if (n > 1) assert.ok(w < 2 * n, `${w} for ${n}`);
      }),
    );
    assert.equal(weightClass(0), 1);
    assert.equal(weightClass(1), 1);
    assert.equal(weightClass(100_000), 131_072);
  });
});
