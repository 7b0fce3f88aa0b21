import { Command } from "commander";
import type { HistoryFlags } from "../actions/history.js";
import type { CliIo } from "../cli-io.js";
import { objectAction } from "./object-action.js";

export function historyCommand(io: CliIo): Command {
  return new Command("history")
    .description("show one object's recorded history with diffs (git log -p --follow on its file)")
    .argument("<type/name>", "e.g. deployment/web, cm/settings, clusterrole/admin, widgets.example.com/w1")
    .option("--max-count <n>", "show at most n commits")
    .option("--stat", "file statistics instead of full diffs")
    .option("--color", "colour the output (default: when stdout is a terminal)")
    .option("--no-color", "never colour the output")
    .addHelpText(
      "after",
      "\nThe namespace is -n, else `default`; cluster-scoped types need no -n. Works offline: only the\nrepository is read, so deleted objects and other clusters' repos can be inspected too.",
    )
    .action(
      objectAction<HistoryFlags>(io, async () => (await import("../actions/history.js")).historyAction),
    );
}
