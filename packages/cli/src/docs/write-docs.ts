/**
 * `npm run docs -w @shiplog/cli`: writes docs/cli.md and docs/config.md from the command tree and
 * core's config schema. `docs.test.ts` fails when the committed files differ from what this writes.
 */
import { writeFileSync } from "node:fs";
import { cliReferenceMarkdown } from "./cli-reference.js";
import { configReferenceMarkdown } from "./config-reference.js";

export const DOCS = {
  "cli.md": cliReferenceMarkdown,
  "config.md": configReferenceMarkdown,
} as const;

/** The repository's docs/ directory, from dist/docs/ of this package. */
export const DOCS_DIR = new URL("../../../../docs/", import.meta.url);

export function writeDocs(): string[] {
  return Object.entries(DOCS).map(([name, render]) => {
    const url = new URL(name, DOCS_DIR);
    writeFileSync(url, render());
    return url.pathname;
  });
}
