import { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { versionInfo } from "../version.js";

export function versionCommand(io: CliIo): Command {
  return new Command("version")
    .description("print the shiplog version")
    .option("-o, --output <format>", "text or json", "text")
    .action((opts: { output: string }) => {
      const v = versionInfo();
      io.stdout.write(
        opts.output === "json"
          ? `${JSON.stringify(v)}\n`
          : `shiplog ${v.shiplog} (node ${v.node}, ${v.platform})\n`,
      );
    });
}
