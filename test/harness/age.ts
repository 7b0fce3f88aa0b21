// age key pairs for the encryption tests, made with the real age-keygen.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binary } from "./binaries.js";
import { runOk } from "./run.js";

export interface AgeKey {
  /** File holding the AGE-SECRET-KEY (what SOPS_AGE_KEY_FILE points at). */
  identityFile: string;
  /** The public key, `age1...`. */
  recipient: string;
}

const dirs: string[] = [];

/** A fresh age identity in a private temp directory, removed when this process exits. */
export async function ageKeygen(): Promise<AgeKey> {
  const dir = mkdtempSync(join(tmpdir(), "shiplog-age-"));
  if (dirs.length === 0)
    process.once("exit", () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  dirs.push(dir);
  const identityFile = join(dir, "key.txt");
  await runOk(await binary("age-keygen"), ["-o", identityFile]);
  const pub = await runOk(await binary("age-keygen"), ["-y", identityFile]);
  const recipient = pub.stdout.trim();
  if (!/^age1[0-9a-z]+$/.test(recipient))
    throw new Error(`age-keygen -y printed no recipient: "${recipient}"`);
  return { identityFile, recipient };
}
