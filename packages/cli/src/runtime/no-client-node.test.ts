// ADR 0044: the pipeline's commands do not import @kubernetes/client-node (87 MB of RSS at start).
// The modules that `run`, `watch`, `commit`, `notify`, `snapshot` and `doctor` load are imported here
// under a resolve hook that records every import of the library and who made it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { registerHooks } from "node:module";

describe("the pipeline's module graph", () => {
  it("does not reach @kubernetes/client-node; restore's does", async () => {
    const reached: string[] = [];
    registerHooks({
      resolve(specifier, context, next) {
        if (specifier === "@kubernetes/client-node" || specifier.startsWith("@kubernetes/client-node/"))
          reached.push(context.parentURL ?? "(unknown importer)");
        return next(specifier, context);
      },
    });
    await import("./context.js");
    await import("./serve.js");
    await import("../actions/snapshot.js");
    await import("../actions/doctor.js");
    assert.deepEqual(reached, [], "no pipeline module imports client-node");
    await import("../actions/restore.js");
    assert.ok(reached.length > 0, "the hook sees restore's import, so the check above can fail");
  });
});
