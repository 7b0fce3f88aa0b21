// The real sops binary on Kubernetes Secret YAML: encrypt the way a user of `sops --age` would, and
// decrypt with an age identity file.
import { binary, run, runOk, type RunResult } from "../../harness/index.js";

const YAML = ["--input-type", "yaml", "--output-type", "yaml"];

/**
 * `sops --encrypt --age <recipient>` of a Secret's `data`/`stringData`; resolves with the encrypted
 * document. `extra` goes before the other flags (e.g. `--mac-only-encrypted`).
 */
export async function sopsEncrypt(file: string, recipient: string, extra: string[] = []): Promise<string> {
  const args = ["--encrypt", ...extra, "--age", recipient, "--encrypted-regex", "^(data|stringData)$"];
  return (await runOk(await binary("sops"), [...args, ...YAML, file])).stdout;
}

/** `sops --decrypt` with `identityFile` as SOPS_AGE_KEY_FILE; never throws on a non-zero exit. */
export async function sopsDecrypt(file: string, identityFile: string): Promise<RunResult> {
  return run(await binary("sops"), ["--decrypt", ...YAML, file], {
    env: { SOPS_AGE_KEY_FILE: identityFile },
  });
}
