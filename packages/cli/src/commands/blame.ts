import { Command } from "commander";
import type { BlameFlags } from "../actions/blame.js";
import type { CliIo } from "../cli-io.js";
import { objectAction } from "./object-action.js";

export function blameCommand(io: CliIo): Command {
  return new Command("blame")
    .description("who changed each line of one object's recorded YAML, and when (git blame on its file)")
    .argument("<type/name>", "e.g. deployment/web, cm/settings, clusterrole/admin")
    .option("--from <rev>", "as of this commit, tag or branch (default: the branch head)")
    .addHelpText(
      "after",
      "\nEach line shows the commit, its author (the person or tool that made the change) and the time.\nA deleted object is shown as it was just before its deletion. Reads only the repository.",
    )
    .action(objectAction<BlameFlags>(io, async () => (await import("../actions/blame.js")).blameAction));
}
