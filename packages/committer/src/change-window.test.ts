import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ChangeWindow } from "./change-window.js";

describe("ChangeWindow", () => {
  it("closes after the quiet period when events stop", () => {
    const w = new ChangeWindow<string>(5000, 60000);
    assert.equal(w.isDue(0), false);
    w.add("a", 1000);
    w.add("b", 3000);
    assert.equal(w.dueAt(), 8000);
    assert.equal(w.isDue(7999), false);
    assert.equal(w.isDue(8000), true);
  });

  it("closes at the maximum length while events keep coming", () => {
    const w = new ChangeWindow<number>(5000, 60000);
    for (let t = 0; t <= 70000; t += 1000) {
      if (w.isDue(t)) {
        assert.equal(t, 60000, "due exactly at the max length");
        assert.equal(w.drain().length, 60);
        assert.equal(w.isOpen, false);
        return;
      }
      w.add(t, t);
    }
    assert.fail("window never closed");
  });

  it("starts a fresh window after drain", () => {
    const w = new ChangeWindow<string>(100, 1000);
    w.add("x", 0);
    w.drain();
    w.add("y", 5000);
    assert.equal(w.startedAt, 5000);
    assert.equal(w.dueAt(), 5100);
  });

  it("once caught up, is due a quiet period after its last event, not before the grace", () => {
    const w = new ChangeWindow<string>(5000, 60000);
    w.add("a", 10_000, 2000); // received 8 s after it happened
    assert.equal(w.dueAt(), 15_000, "by arrival");
    assert.equal(w.dueAt(true, 1000), 11_000, "event + quiet (7000) is past: the grace decides");
    w.add("b", 10_500, 9000);
    assert.equal(w.dueAt(true, 1000), 14_000, "b happened at 9000: due at 14000");
    assert.equal(w.isDue(13_999, true, 1000), false);
    assert.equal(w.isDue(14_000, true, 1000), true);
    assert.equal(w.isDue(14_000, false, 1000), false, "not caught up: arrival decides");
  });

  it("ignores the event-time rule when no item has an event time", () => {
    const w = new ChangeWindow<string>(5000, 60000);
    w.add("sync", 1000);
    assert.equal(w.dueAt(true, 1000), 6000);
  });
});
