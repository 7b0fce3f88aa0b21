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
});
