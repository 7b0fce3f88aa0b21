import { resolve } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Command } from "commander";
import { parse as parseYaml, stringify } from "yaml";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";
import { loadConfig } from "../config/load-config.js";
import { hasCommits, showFile } from "../git/git-cli.js";
import { parseTarget, resolveObjectPath } from "../git/resolve-path.js";
import { readAgeIdentities } from "../restore/age-identity.js";
import { serverSideApply } from "../restore/apply.js";
import { protectionOf, Protections, stripShiplogMetadata } from "../restore/protection.js";
import { decryptSopsDocument } from "../restore/sops-decrypt.js";
import { loadKubeConfig } from "../runtime/kube.js";
import { globalsOf } from "../commands/global-options.js";

export interface RestoreFlags {
  from: string;
  apply?: boolean;
  forceConflicts?: boolean;
  dryRun?: boolean;
  ageIdentity?: string;
}

export async function restoreAction(
  io: CliIo,
  arg: string,
  flags: RestoreFlags,
  cmd: Command,
): Promise<void> {
  const g = globalsOf(cmd);
  const { config } = loadConfig(g, io);
  const repo = resolve(io.cwd, config.repo.path);
  if (!(await hasCommits(repo, flags.from))) {
    throw new CliError(`revision "${flags.from}" does not exist in ${repo}`, ExitCodes.config);
  }
  const target = parseTarget(arg);
  const path = await resolveObjectPath(repo, flags.from, target, g.namespace);
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
  const protection = protectionOf(doc);
  switch (protection) {
    case Protections.redacted:
      throw new CliError(
        `${arg} was recorded redacted (values are fingerprints only) and cannot be restored; restore its values from their source, or record Secrets with secrets.mode=encrypt`,
        ExitCodes.failure,
      );
    case Protections.omitted:
      throw new CliError(
        `${arg} was recorded without its values (omitted) and cannot be restored; restore it from its source`,
        ExitCodes.failure,
      );
    case Protections.encrypted: {
      const idFile = flags.ageIdentity ?? io.env[SOPS_AGE_KEY_FILE_ENV];
      if (idFile === undefined || idFile === "") {
        throw new CliError(
          `${arg} is encrypted (sops/age); pass --age-identity FILE or set ${SOPS_AGE_KEY_FILE_ENV} to decrypt it`,
          ExitCodes.config,
        );
      }
      try {
        doc = stripShiplogMetadata(
          await decryptSopsDocument(doc, readAgeIdentities(resolve(io.cwd, idFile))),
        );
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot decrypt ${arg}: ${oneLine(err)}`, ExitCodes.failure, { cause: err });
      }
      break;
    }
    case Protections.none:
      break;
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
}
