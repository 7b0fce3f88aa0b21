import { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { globalsOf } from "./global-options.js";

export function configCommand(io: CliIo): Command {
  const cmd = new Command("config").description("inspect the configuration");
  cmd
    .command("print")
    .description(
      "print the effective configuration (defaults < --config file < SHIPLOG_* env < flags), secrets masked",
    )
    .option("-o, --output <format>", "yaml or json", "yaml")
    .option("--show-sources", "annotate where each non-default value came from")
    .action(async (opts: { output: string; showSources?: boolean }, sub: Command) => {
      const [{ stringify }, { maskConfig }, { loadConfig }] = await Promise.all([
        import("yaml"),
        import("@shiplog/core"),
        import("../config/load-config.js"),
      ]);
      const loaded = loadConfig(globalsOf(sub), io, { namespaceFilter: true });
      const masked = maskConfig(loaded.config);
      if (opts.output === "json") io.stdout.write(`${JSON.stringify(masked, null, 2)}\n`);
      else io.stdout.write(stringify(masked, { lineWidth: 0 }));
      if (opts.showSources === true) {
        io.stdout.write("# sources (keys not listed are defaults):\n");
        for (const [k, src] of [...loaded.provenance].sort(([a], [b]) => a.localeCompare(b))) {
          io.stdout.write(`#   ${k}: ${src}\n`);
        }
      }
    });
  cmd
    .command("reference")
    .description("print the reference of every config key and SHIPLOG_* variable (markdown, from the schema)")
    .action(async () => {
      const { configReferenceMarkdown } = await import("../docs/config-reference.js");
      io.stdout.write(configReferenceMarkdown());
    });
  return cmd;
}
