import type { ObjectAction } from "../commands/object-action.js";
import { git, showFile } from "../git/git-cli.js";
import { locateRecordedObject } from "./recorded-object.js";

export interface BlameFlags {
  from?: string;
}

/** `git blame` of the object's file at `--from` (else the branch head), or just before its deletion. */
export const blameAction: ObjectAction<BlameFlags> = async (io, arg, flags, cmd) => {
  const { repo, rev, path } = await locateRecordedObject(io, cmd, arg, flags.from);
  let at = rev;
  if ((await showFile(repo, rev, path)) === undefined) {
    const deletion = (await git(repo, ["log", "-1", "--format=%H", rev, "--", path])).trim();
    at = `${deletion}^`;
    io.stderr.write(
      `shiplog: ${arg} was deleted in ${deletion.slice(0, 12)}; showing it as of ${deletion.slice(0, 12)}^\n`,
    );
  }
  io.stdout.write(`# ${path} at ${at} in ${repo}\n`);
  io.stdout.write(await git(repo, ["blame", "--date=iso-strict", at, "--", path]));
};
