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
    const keys = ["redis.url", "secrets.hmacKeyFile", "committer.quietPeriod", "notifier.sinks"];
    assertMentions("config.md", cfg, keys, (k) => `\`${k}\``);
    assert.ok(cfg.includes(SHIPLOG_CONFIG_ENV));
    const commands = [
      "run",
      "watch",
      "commit",
      "notify",
      "snapshot",
      "history",
      "blame",
      "log",
      "restore",
      "doctor",
    ];
    const more = ["config print", "config reference", "version"];
    assertMentions("cli.md", DOCS["cli.md"](), [...commands, ...more], (c) => `## shiplog ${c}\n`);
  });
});

function assertMentions(
  doc: string,
  text: string,
  items: readonly string[],
  form: (s: string) => string,
): void {
  for (const item of items) assert.ok(text.includes(form(item)), `${doc} mentions ${item}`);
}
