/**
 * Reads age identities (`AGE-SECRET-KEY-1...`) from an identity file as written by age-keygen or
 * used by sops (SOPS_AGE_KEY_FILE): comments and blank lines are skipped.
 */
import { readFileSync } from "node:fs";
import { CliError, ExitCodes } from "../cli-error.js";

export function readAgeIdentities(
  file: string,
  readFile: (p: string) => string = (p) => readFileSync(p, "utf8"),
): string[] {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw new CliError(`cannot read age identity file ${file}`, ExitCodes.config, { cause: err });
  }
  const ids = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (ids.length === 0) {
    throw new CliError(`age identity file ${file} contains no AGE-SECRET-KEY-... line`, ExitCodes.config);
  }
  return ids;
}
