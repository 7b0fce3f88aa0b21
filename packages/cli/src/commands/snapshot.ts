import { Command } from "commander";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";

export function snapshotCommand(io: CliIo): Command {
  return new Command("snapshot")
    .description("one-shot: list everything, write one commit that makes the repo equal the cluster, exit")
    .addHelpText(
      "after",
      "\nNeeds no Redis. Safe beside a running committer on the same repo: both move the branch only by\ncompare-and-swap, and the committer rebuilds its window on the snapshot. Shows a progress bar on a\nterminal. Replaces kube-backup style CronJobs:\n  shiplog snapshot --context prod --repo /backups/prod\nApplies the V8 flag --optimize-for-size at start, as run and watch do (SHIPLOG_V8_FLAGS replaces it).",
    )
    .action(async (opts: unknown, cmd: Command) => {
      // Before the pipeline's modules load: a snapshot's garbage is its whole listing (ADR 0039).
      const { applyV8Flags, v8FlagsFromEnv } = await import("../runtime/v8-flags.js");
      try {
        applyV8Flags(v8FlagsFromEnv(io.env));
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), ExitCodes.config, {
          cause: err,
        });
      }
      const { snapshotAction } = await import("../actions/snapshot.js");
      await snapshotAction(io, opts, cmd);
    });
}
