/**
 * What `history` and `restore` share: they read only the repository (no cluster, no Redis), so they
 * also work for deleted objects and other clusters' repositories.
 */
import { resolve } from "node:path";
import type { ShiplogConfig } from "@shiplog/core";
import type { Command } from "commander";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { globalsOf } from "../commands/global-options.js";
import { loadConfig } from "../config/load-config.js";
import { hasCommits } from "../git/git-cli.js";
import { parseTarget, resolveObjectPath, type Target } from "../git/resolve-path.js";

export interface RecordedRepo {
  config: ShiplogConfig;
  /** The repository's absolute path. */
  repo: string;
  /** The revision read: the one asked for, else `repo.branch`. */
  rev: string;
  /** `-n`, if given. */
  namespace: string | undefined;
}

export interface RecordedObject extends RecordedRepo {
  target: Target;
  /** The object's file at `rev`, or in `rev`'s history when the object was deleted by then. */
  path: string;
}

/** Loads the config and checks that `from` (else the configured branch) names a commit. */
export async function openRecordedRepo(io: CliIo, cmd: Command, from?: string): Promise<RecordedRepo> {
  const g = globalsOf(cmd);
  const { config } = loadConfig(g, io);
  const repo = resolve(io.cwd, config.repo.path);
  const rev = from ?? config.repo.branch;
  if (!(await hasCommits(repo, rev))) {
    throw from !== undefined
      ? new CliError(`revision "${from}" does not exist in ${repo}`, ExitCodes.config)
      : new CliError(
          `the repository ${repo} has no commits on ${rev} yet (run shiplog run or snapshot first)`,
          ExitCodes.failure,
        );
  }
  return { config, repo, rev, namespace: g.namespace };
}

/** Finds the file of `arg` (`deployment/web`) at `from`, or on the configured branch without `from`. */
export async function locateRecordedObject(
  io: CliIo,
  cmd: Command,
  arg: string,
  from?: string,
): Promise<RecordedObject> {
  const opened = await openRecordedRepo(io, cmd, from);
  const target = parseTarget(arg);
  const path = await resolveObjectPath(opened.repo, opened.rev, target, opened.namespace);
  return { ...opened, target, path };
}
