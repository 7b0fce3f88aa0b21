import { CliError, ExitCodes } from "../cli-error.js";
import type { ObjectAction } from "../commands/object-action.js";
import { fileHistory } from "../git/git-cli.js";
import { locateRecordedObject } from "./recorded-object.js";

export interface HistoryFlags {
  maxCount?: string;
  stat?: boolean;
  color?: boolean;
}

export const historyAction: ObjectAction<HistoryFlags> = async (io, arg, flags, cmd) => {
  const { repo, rev, path } = await locateRecordedObject(io, cmd, arg);
  const maxCount = flags.maxCount === undefined ? undefined : Number(flags.maxCount);
  if (maxCount !== undefined && !(Number.isInteger(maxCount) && maxCount > 0)) {
    throw new CliError(`--max-count: expected a positive integer, got "${flags.maxCount}"`, ExitCodes.config);
  }
  const text = await fileHistory(repo, path, {
    rev,
    patch: flags.stat !== true,
    color: flags.color ?? io.stdout.isTTY === true,
    ...(maxCount !== undefined ? { maxCount } : {}),
  });
  io.stdout.write(`# ${path} in ${repo}\n`);
  io.stdout.write(text);
};
