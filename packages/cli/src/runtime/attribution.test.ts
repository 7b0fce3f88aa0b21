// The attribution stage as the CLI builds it from config: the token file, readable files named by
// their keys, and no stage at all when attribution is off.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseConfig, redisConnectionOptions, silentLogger } from "@shiplog/core";
import { Registry } from "prom-client";
import { CliError, ExitCodes } from "../cli-error.js";
import { buildAttribution, readTokens } from "./attribution.js";
import type { RuntimeContext } from "./context.js";

const dir = mkdtempSync(join(tmpdir(), "shiplog-cli-attribution-"));
const fallback = { authorFor: () => ({ name: "m", email: "m@d", source: "field-manager" as const }) };

function ctx(attribution: unknown): RuntimeContext {
  const config = parseConfig({ attribution });
  const logger = Object.assign(Object.create(silentLogger) as typeof silentLogger, {
    child: () => silentLogger,
  });
  return {
    config,
    logger,
    connection: redisConnectionOptions(config.redis.url),
  } as unknown as RuntimeContext;
}

function configError(key: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof CliError && err.exitCode === ExitCodes.config && err.message.startsWith(`${key} `);
}

describe("the attribution stage from config", () => {
  it("reads one token per line, skipping blank lines and comments", () => {
    writeFileSync(join(dir, "tokens"), "# rotated 2026-12-01\nnew-token\n\n  old-token  \n");
    assert.deepEqual(readTokens("tokens", dir), ["new-token", "old-token"]);
    writeFileSync(join(dir, "empty"), "# nothing\n\n");
    assert.throws(() => readTokens("empty", dir), configError("attribution.receiver.tokenFile"));
    assert.throws(() => readTokens("missing", dir), configError("attribution.receiver.tokenFile"));
  });

  it("is not built when no source is configured", () => {
    assert.equal(buildAttribution(ctx({}), new Registry(), dir, fallback), undefined);
  });

  it("names the key of a file it cannot read, before anything starts", () => {
    writeFileSync(join(dir, "tls.crt"), "cert");
    const receiver = { tlsCertFile: "tls.crt", tlsKeyFile: "no-such.key" };
    assert.throws(
      () => buildAttribution(ctx({ sources: ["admission"], receiver }), new Registry(), dir, fallback),
      configError("attribution.receiver.tlsKeyFile"),
    );
    assert.throws(
      () =>
        buildAttribution(
          ctx({ sources: ["audit"], receiver: { ...receiver, tlsKeyFile: "tls.crt", tokenFile: "nope" } }),
          new Registry(),
          dir,
          fallback,
        ),
      configError("attribution.receiver.tokenFile"),
    );
  });
});
