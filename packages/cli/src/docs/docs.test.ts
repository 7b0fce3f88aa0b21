import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SHIPLOG_CONFIG_ENV } from "../config/env-vars.js";
import { DOCS, DOCS_DIR, README_URL, withReadmeReference } from "./write-docs.js";

describe("generated docs", () => {
  for (const [name, render] of Object.entries(DOCS)) {
    it(`docs/${name} is up to date (else run: npm run docs -w @shiplog/cli)`, () => {
      const committed = readFileSync(new URL(name, DOCS_DIR), "utf8");
      assert.equal(
        committed,
        render(),
        `docs/${name} is stale: run npm run docs -w @shiplog/cli and commit it`,
      );
    });
  }

  it("README.md's command and config reference is up to date (else run: npm run docs -w @shiplog/cli)", () => {
    const readme = readFileSync(README_URL, "utf8");
    assert.equal(
      readme,
      withReadmeReference(readme),
      "README.md's reference is stale: run npm run docs -w @shiplog/cli",
    );
    assert.ok(readme.includes("`secrets.mode`") && readme.includes("`shiplog restore"));
  });

  it("the config reference lists every key and variable, the CLI reference every command", () => {
    const cfg = DOCS["config.md"]();
    for (const key of [
      "`redis.url`",
      "`secrets.hmacKeyFile`",
      "`committer.quietPeriod`",
      "`notifier.sinks`",
    ]) {
      assert.ok(cfg.includes(key), `config.md mentions ${key}`);
    }
    assert.ok(cfg.includes(SHIPLOG_CONFIG_ENV));
    const cli = DOCS["cli.md"]();
    for (const c of [
      "run",
      "watch",
      "commit",
      "notify",
      "snapshot",
      "history",
      "restore",
      "doctor",
      "config print",
      "config reference",
      "version",
    ]) {
      assert.ok(cli.includes(`## shiplog ${c}\n`), `cli.md documents ${c}`);
    }
  });
});
