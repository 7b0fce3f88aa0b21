import { Command } from "commander";
import type { CliIo } from "../cli-io.js";

export function snapshotCommand(io: CliIo): Command {
  return new Command("snapshot")
    .description("one-shot: list everything, write one commit that makes the repo equal the cluster, exit")
    .addHelpText(
      "after",
      "\nNeeds no Redis. Safe beside a running committer on the same repo: both move the branch only by\ncompare-and-swap, and the committer rebuilds its window on the snapshot. Shows a progress bar on a\nterminal. Replaces kube-backup style CronJobs:\n  shiplog snapshot --context prod --repo /backups/prod",
    )
    .action(async (opts: unknown, cmd: Command) => {
      const { snapshotAction } = await import("../actions/snapshot.js");
      await snapshotAction(io, opts, cmd);
    });
}
