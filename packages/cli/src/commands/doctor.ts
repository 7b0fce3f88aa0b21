import { Command } from "commander";
import type { CliIo } from "../cli-io.js";

export function doctorCommand(io: CliIo): Command {
  return new Command("doctor")
    .description(
      "check kubeconfig, RBAC coverage, Redis, the repo, the remote and the keys; say how to fix what is wrong",
    )
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText("after", "\nExits 0 when nothing failed (warnings allowed), 1 otherwise.")
    .action(async (opts: { output: string }, cmd: Command) => {
      const { doctorAction } = await import("../actions/doctor.js");
      await doctorAction(io, opts, cmd);
    });
}
