import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 800 ms up to 30 s without jitter", () => {
    const b = new Backoff({ jitter: 0 });
    const delays = Array.from({ length: 8 }, (_, i) => b.next(i * 1000));
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it("resets after a quiet period and on reset()", () => {
    const b = new Backoff({ jitter: 0, resetAfterMs: 10_000 });
    b.next(0);
    assert.equal(b.next(1000), 1600);
    assert.equal(b.next(20_000), 800);
    b.next(20_001);
    b.reset();
    assert.equal(b.next(20_002), 800);
  });

  it("honours Retry-After as a lower bound", () => {
    const b = new Backoff({ jitter: 0 });
    assert.equal(b.next(0, 5000), 5000);
    assert.equal(b.next(1, 100), 1600);
  });

  it("keeps jittered delays within [d, d*(1+jitter)] and below 2*max", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (rs) => {
          let i = 0;
          const b = new Backoff({ random: () => rs[i++ % rs.length] ?? 0 });
          let base = 0;
          for (let k = 0; k < rs.length; k++) {
            base = base === 0 ? 800 : Math.min(base * 2, 30_000);
            const d = b.next(k);
            assert.ok(d >= base && d <= base * 2 + 1, `delay ${d} for base ${base}`);
          }
        },
      ),
    );
  });

  it("rejects bad options naming the field", () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), /backoff.initialMs/);
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), /backoff.maxMs/);
  });
});
