import { resolve } from "node:path";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { Command } from "commander";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import type { ObjectAction } from "../commands/object-action.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";
import { showFile } from "../git/git-cli.js";
import { readAgeIdentities } from "../restore/age-identity.js";
import { serverSideApply } from "../restore/apply.js";
import { namespaceObjects } from "../restore/namespace-objects.js";
import { readRecordedFile } from "../restore/recorded-file.js";
import { manifestStream, restorableManifest } from "../restore/restorable-manifest.js";
import { loadKubeconfig } from "../runtime/kubeconfig.js";
import { locateRecordedObject, openRecordedRepo } from "./recorded-object.js";

export interface RestoreFlags {
  /** @defaultValue the configured branch (`repo.branch`) */
  from?: string;
  apply?: boolean;
  forceConflicts?: boolean;
  dryRun?: boolean;
  ageIdentity?: string;
}

/** `restore <type/name>` restores one object; `restore -n <ns>` (no argument) the whole namespace. */
export const restoreAction: ObjectAction<RestoreFlags, string | undefined> = async (io, arg, flags, cmd) => {
  if (arg === undefined) await restoreNamespace(io, flags, cmd);
  else await restoreObject(io, arg, flags, cmd);
};

async function restoreObject(io: CliIo, arg: string, flags: RestoreFlags, cmd: Command): Promise<void> {
  const { config, repo, rev, target, path } = await locateRecordedObject(io, cmd, arg, flags.from);
  const file = await readRecordedFile(repo, rev, path);
  if (file === undefined) {
    throw new CliError(`${arg} did not exist at ${rev} (${path} is not in that commit)`, ExitCodes.failure);
  }
  if (file.deletedIn !== undefined) {
    io.stderr.write(
      `shiplog: ${arg} does not exist at ${rev}: it was deleted in ${file.deletedIn.commit} (${file.deletedIn.date}); using its last recorded state, from ${file.readAt}\n`,
    );
  }
  const prepared = await restorableManifest(
    file.text,
    arg,
    `${path} at ${file.readAt}`,
    identities(io, flags),
  );
  if (!prepared.restorable) throw new CliError(prepared.reason, ExitCodes.failure);
  const manifest = prepared.manifest;
  if (flags.apply !== true) {
    io.stdout.write(manifestStream([manifest]));
    return;
  }
  const kc = await loadKubeconfig(config.kubernetes, io.env).toClientNode();
  const applied = await serverSideApply(kc, manifest, applyOptions(flags));
  io.stdout.write(restoredLine(applied, target.name, file.readAt, flags));
}

async function restoreNamespace(io: CliIo, flags: RestoreFlags, cmd: Command): Promise<void> {
  const { config, repo, rev, namespace } = await openRecordedRepo(io, cmd, flags.from);
  if (namespace === undefined) {
    throw new CliError(
      "expected <type/name>, or -n <namespace> to restore every object of a namespace",
      ExitCodes.config,
    );
  }
  const recorded = await namespaceObjects(repo, rev, namespace);
  if (recorded.length === 0) {
    throw new CliError(
      `no object of namespace ${namespace} is recorded at ${rev} in ${repo}`,
      ExitCodes.failure,
    );
  }
  // Everything is read and decrypted before anything is printed or applied: a namespace is restored
  // whole or not at all, except for the Secrets whose values were never recorded.
  const ids = identities(io, flags);
  const manifests: KubernetesObject[] = [];
  const failed: string[] = [];
  let skipped = 0;
  for (const { path, what } of recorded) {
    const text = await showFile(repo, rev, path);
    if (text === undefined) throw new CliError(`cannot read ${path} at ${rev}`, ExitCodes.failure);
    try {
      const prepared = await restorableManifest(text, what, `${path} at ${rev}`, ids);
      if (prepared.restorable) manifests.push(prepared.manifest);
      else {
        skipped++;
        io.stderr.write(`shiplog: skipped: ${prepared.reason}\n`);
      }
    } catch (err) {
      // A missing or unreadable age identity concerns the command, not one object.
      if (!(err instanceof CliError) || err.exitCode === ExitCodes.config) throw err;
      failed.push(what);
      io.stderr.write(`shiplog: ${what}: ${err.message}\n`);
    }
  }
  if (failed.length > 0) {
    throw new CliError(
      `nothing restored: ${failed.length} of ${recorded.length} objects of namespace ${namespace} could not be read (see above)`,
      ExitCodes.failure,
    );
  }
  const skippedNote = skipped > 0 ? ` (${skipped} skipped)` : "";
  if (flags.apply !== true) {
    io.stdout.write(manifestStream(manifests));
    io.stderr.write(
      `shiplog: printed ${manifests.length} objects of namespace ${namespace} as at ${rev}${skippedNote}; nothing was applied (pipe to kubectl apply -f -, or re-run with --apply)\n`,
    );
    return;
  }
  await applyEach(io, await loadKubeconfig(config.kubernetes, io.env).toClientNode(), manifests, rev, flags);
  if (skipped > 0) io.stderr.write(`shiplog: ${skipped} objects skipped (see above)\n`);
}

/** Applies the manifests one by one, reporting each; stops early only when the apiserver is unreachable. */
async function applyEach(
  io: CliIo,
  kc: KubeConfig,
  manifests: readonly KubernetesObject[],
  rev: string,
  flags: RestoreFlags,
): Promise<void> {
  let failures = 0;
  for (const manifest of manifests) {
    try {
      const applied = await serverSideApply(kc, manifest, applyOptions(flags));
      io.stdout.write(restoredLine(applied, manifest.metadata?.name ?? "?", rev, flags));
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode === ExitCodes.unavailable) throw err;
      failures++;
      io.stderr.write(`shiplog: ${oneLine(err)}\n`);
    }
  }
  if (failures > 0) {
    throw new CliError(
      `${failures} of ${manifests.length} objects were not restored (see above)`,
      ExitCodes.failure,
    );
  }
}

function applyOptions(flags: RestoreFlags): { forceConflicts: boolean; dryRun: boolean } {
  return { forceConflicts: flags.forceConflicts === true, dryRun: flags.dryRun === true };
}

function restoredLine(applied: KubernetesObject, name: string, from: string, flags: RestoreFlags): string {
  const ns = applied.metadata?.namespace;
  return `${(applied.kind ?? "object").toLowerCase()}/${applied.metadata?.name ?? name}${ns ? ` in ${ns}` : ""} restored from ${from}${flags.dryRun === true ? " (dry run)" : ""}\n`;
}

/** The age identities of --age-identity or SOPS_AGE_KEY_FILE, read once and only when a file is encrypted. */
function identities(io: CliIo, flags: RestoreFlags): (what: string) => readonly string[] {
  let read: readonly string[] | undefined;
  return (what) => {
    if (read !== undefined) return read;
    const idFile = flags.ageIdentity ?? io.env[SOPS_AGE_KEY_FILE_ENV];
    if (idFile === undefined || idFile === "") {
      throw new CliError(
        `${what} is encrypted (sops/age); pass --age-identity FILE or set ${SOPS_AGE_KEY_FILE_ENV} to decrypt it`,
        ExitCodes.config,
      );
    }
    read = readAgeIdentities(resolve(io.cwd, idFile));
    return read;
  };
}
