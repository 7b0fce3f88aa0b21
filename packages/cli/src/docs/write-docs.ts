/**
 * `npm run docs -w @shiplog/cli`: writes docs/cli.md and docs/config.md from the command tree and
 * core's config schema. `docs.test.ts` fails when the committed files differ from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cliReferenceMarkdown } from "./cli-reference.js";
import { configReferenceMarkdown } from "./config-reference.js";

export const DOCS = {
  "cli.md": cliReferenceMarkdown,
  "config.md": configReferenceMarkdown,
} as const;

/** The repository's docs/ directory, from dist/docs/ of this package. */
export const DOCS_DIR = new URL("../../../../docs/", import.meta.url);

/** The repository's README, whose reference section is generated too. */
export const README_URL = new URL("../README.md", DOCS_DIR);
export const README_BEGIN = "<!-- BEGIN GENERATED REFERENCE (npm run docs -w @shiplog/cli) -->";
export const README_END = "<!-- END GENERATED REFERENCE -->";

/** The README's reference: every command's usage line and every config key, from the same sources. */
export function readmeReference(): string {
  const cli = cliReferenceMarkdown();
  // Each command's "Usage:" line and the description under it, from its --help block.
  const usage = [...cli.matchAll(/^Usage: (shiplog .+)\n\n((?:.+\n)*)/gm)]
    .map((m) => `- \`${m[1]}\`: ${(m[2] ?? "").trim().replace(/\s+/g, " ")}`)
    .join("\n");
  const cfg = configReferenceMarkdown();
  const keys = cfg.slice(cfg.indexOf("| Key |"), cfg.indexOf("\n## ", cfg.indexOf("| Key |"))).trimEnd();
  return [
    README_BEGIN,
    "### Commands",
    "",
    "Details, flags and exit codes: [docs/cli.md](docs/cli.md).",
    "",
    usage,
    "",
    "### Configuration keys",
    "",
    "One YAML file (`--config`), then `SHIPLOG_*` environment variables, then flags: see",
    "[docs/config.md](docs/config.md) for the variables and flags.",
    "",
    keys,
    README_END,
  ].join("\n");
}

/** `text` with its generated README section replaced by the current one. */
export function withReadmeReference(text: string): string {
  const begin = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  if (begin < 0 || end < begin)
    throw new Error(`README.md lacks the ${README_BEGIN} ... ${README_END} markers`);
  return text.slice(0, begin) + readmeReference() + text.slice(end + README_END.length);
}

export function writeDocs(): string[] {
  const written = Object.entries(DOCS).map(([name, render]) => {
    const url = new URL(name, DOCS_DIR);
    writeFileSync(url, render());
    return url.pathname;
  });
  writeFileSync(README_URL, withReadmeReference(readFileSync(README_URL, "utf8")));
  return [...written, README_URL.pathname];
}
