/**
 * Turns a recorded file into the manifest `restore` prints or applies: parsed with core's reader,
 * checked against the secret-protection rules (unrestorable modes are refused, sops documents are
 * decrypted with the age identity), without what shiplog or the apiserver added to it.
 */
import { fromYaml, isRecord, toYaml } from "@shiplog/core";
import type { KubernetesObject } from "@kubernetes/client-node";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { protectionOf, stripShiplogMetadata, unrestorableReason } from "./protection.js";
import { stripServerPopulated } from "./server-fields.js";
import { decryptSopsDocument } from "./sops-decrypt.js";

export type RestorableManifest =
  | { readonly restorable: true; readonly manifest: KubernetesObject }
  /** The file never held the values (redact, omit): `reason` says so and what to do instead. */
  | { readonly restorable: false; readonly reason: string };

/**
 * @param what how messages name the object (`configmap/settings`)
 * @param where how messages name the file (`prod/configmaps/settings.yaml at main`)
 * @param identities the age identities, asked for only when the file is encrypted; throws a
 *   `CliError` when none were given
 */
export async function restorableManifest(
  text: string,
  what: string,
  where: string,
  identities: (what: string) => readonly string[],
): Promise<RestorableManifest> {
  let parsed: unknown;
  try {
    parsed = fromYaml(text);
  } catch (err) {
    throw new CliError(`${where} is not valid YAML: ${oneLine(err)}`, ExitCodes.failure, { cause: err });
  }
  if (!isRecord(parsed)) throw new CliError(`${where} is not a Kubernetes object`, ExitCodes.failure);
  let doc = parsed;
  const mode = protectionOf(doc);
  if (mode !== undefined) {
    const refused = unrestorableReason(what, mode);
    if (refused !== undefined) return { restorable: false, reason: refused };
    const ids = identities(what);
    try {
      doc = await decryptSopsDocument(doc, ids);
    } catch (err) {
      throw new CliError(`cannot decrypt ${what}: ${oneLine(err)}`, ExitCodes.failure, { cause: err });
    }
  }
  const manifest = stripServerPopulated(stripShiplogMetadata(doc));
  return { restorable: true, manifest };
}

/**
 * Manifests as one YAML stream, written with core's canonical writer: the quoting of the recorded
 * files, which YAML 1.1 readers (kubectl, sigs.k8s.io/yaml) read back as the same strings.
 */
export function manifestStream(manifests: readonly KubernetesObject[]): string {
  return manifests.map((m) => toYaml(m)).join("---\n");
}
