import { resolve } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parse as parseYaml, stringify } from "yaml";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { ObjectAction } from "../commands/object-action.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";
import { showFile } from "../git/git-cli.js";
import { readAgeIdentities } from "../restore/age-identity.js";
import { serverSideApply } from "../restore/apply.js";
import { protectionOf, stripShiplogMetadata, unrestorableReason } from "../restore/protection.js";
import { decryptSopsDocument } from "../restore/sops-decrypt.js";
import { loadKubeConfig } from "../runtime/kube.js";
import { locateRecordedObject } from "./recorded-object.js";

export interface RestoreFlags {
  from: string;
  apply?: boolean;
  forceConflicts?: boolean;
  dryRun?: boolean;
  ageIdentity?: string;
}

export const restoreAction: ObjectAction<RestoreFlags> = async (io, arg, flags, cmd) => {
  const { config, repo, target, path } = await locateRecordedObject(io, cmd, arg, flags.from);
  const text = await showFile(repo, flags.from, path);
  if (text === undefined) {
    throw new CliError(
      `${arg} did not exist at ${flags.from} (${path} is not in that commit)`,
      ExitCodes.failure,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`${path} at ${flags.from} is not valid YAML: ${oneLine(err)}`, ExitCodes.failure, {
      cause: err,
    });
  }
  const mode = protectionOf(doc);
  if (mode !== undefined) {
    const refused = unrestorableReason(arg, mode);
    if (refused !== undefined) throw new CliError(refused, ExitCodes.failure);
    const idFile = flags.ageIdentity ?? io.env[SOPS_AGE_KEY_FILE_ENV];
    if (idFile === undefined || idFile === "") {
      throw new CliError(
        `${arg} is encrypted (sops/age); pass --age-identity FILE or set ${SOPS_AGE_KEY_FILE_ENV} to decrypt it`,
        ExitCodes.config,
      );
    }
    try {
      doc = stripShiplogMetadata(await decryptSopsDocument(doc, readAgeIdentities(resolve(io.cwd, idFile))));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot decrypt ${arg}: ${oneLine(err)}`, ExitCodes.failure, { cause: err });
    }
  }
  const manifest = doc as KubernetesObject;
  if (flags.apply !== true) {
    io.stdout.write(stringify(manifest, { lineWidth: 0 }));
    return;
  }
  const kc = loadKubeConfig(config.kubernetes, io.env);
  const applied = await serverSideApply(kc, manifest, {
    forceConflicts: flags.forceConflicts === true,
    dryRun: flags.dryRun === true,
  });
  const ns = applied.metadata?.namespace;
  io.stdout.write(
    `${(manifest.kind ?? "object").toLowerCase()}/${applied.metadata?.name ?? target.name}${ns ? ` in ${ns}` : ""} restored from ${flags.from}${flags.dryRun === true ? " (dry run)" : ""}\n`,
  );
};
