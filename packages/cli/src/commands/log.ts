import { Command } from "commander";
import type { CliIo } from "../cli-io.js";

export function logCommand(io: CliIo): Command {
  return new Command("log")
    .description("the recorded changes, newest first, filtered by namespace (-n), type, user and time")
    .option("--type <type>", "only objects of this type, e.g. deployment, cm, widgets.example.com")
    .option(
      "--user <name>",
      "only commits whose author (name or email) contains this, or whose Kubernetes user (Shiplog-User) is this, e.g. alice",
    )
    .option(
      "--since <when>",
      'only changes after this: a duration ago ("1h", "30m") or a date (2026-12-01T10:00:00Z)',
    )
    .option("--until <when>", "only changes before this: a duration ago or a date")
    .option("--max-count <n>", "show at most n commits")
    .option("-p, --patch", "show each change's diff")
    .option("--from <rev>", "start from this commit, tag or branch (default: the branch head)")
    .addHelpText(
      "after",
      "\nFor an incident: shiplog log -n shop --since 1h, shiplog log --user alice --type deployment.\nReads only the repository (git log with path and author filters).",
    )
    .action(async (flags: unknown, cmd: Command) => {
      const { logAction } = await import("../actions/log.js");
      await logAction(io, flags, cmd);
    });
}
