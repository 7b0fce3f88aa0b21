import { resolve } from "node:path";
import type { Command } from "commander";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { loadConfig } from "../config/load-config.js";
import { fileHistory, hasCommits } from "../git/git-cli.js";
import { parseTarget, resolveObjectPath } from "../git/resolve-path.js";
import { globalsOf } from "../commands/global-options.js";

export interface HistoryFlags {
  maxCount?: string;
  stat?: boolean;
  color?: boolean;
}

export async function historyAction(
  io: CliIo,
  arg: string,
  flags: HistoryFlags,
  cmd: Command,
): Promise<void> {
  const g = globalsOf(cmd);
  const { config } = loadConfig(g, io);
  const repo = resolve(io.cwd, config.repo.path);
  const branch = config.repo.branch;
  if (!(await hasCommits(repo, branch))) {
    throw new CliError(
      `the repository ${repo} has no commits on ${branch} yet (run shiplog run or snapshot first)`,
      ExitCodes.failure,
    );
  }
  const path = await resolveObjectPath(repo, branch, parseTarget(arg), g.namespace);
  const maxCount = flags.maxCount === undefined ? undefined : Number(flags.maxCount);
  if (maxCount !== undefined && !(Number.isInteger(maxCount) && maxCount > 0)) {
    throw new CliError(`--max-count: expected a positive integer, got "${flags.maxCount}"`, ExitCodes.config);
  }
  const text = await fileHistory(repo, path, {
    rev: branch,
    patch: flags.stat !== true,
    color: flags.color ?? io.stdout.isTTY === true,
    ...(maxCount !== undefined ? { maxCount } : {}),
  });
  io.stdout.write(`# ${path} in ${repo}\n`);
  io.stdout.write(text);
}
