import { Command } from "commander";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { loadNative } from "../runtime/lazy.js";
import type { Stages } from "../runtime/serve.js";
import { globalsOf } from "./global-options.js";

interface ServeFlags {
  listen?: string;
  quietPeriod?: string;
  shutdownTimeout: string;
}

const DESCRIPTIONS: Record<string, string> = {
  run: "record the cluster: watcher + committer + notifier in one process (the default deployment)",
  watch: "run only the watcher: list/watch every type and queue changes in Redis",
  commit: "run only the committer: queue -> change windows -> Git commits (-> push)",
  notify: "run only the notifier: committed changes -> chat",
};

/** `run`, `watch`, `commit` and `notify`: the long-running commands, differing only in their stages. */
export function serveCommand(
  io: CliIo,
  name: "run" | "watch" | "commit" | "notify",
  stages: Stages,
): Command {
  const cmd = new Command(name)
    .description(DESCRIPTIONS[name] ?? name)
    .option("--listen <host:port>", "serve /metrics, /healthz and /readyz here (server.listen)")
    .option("--shutdown-timeout <duration>", "on SIGTERM, give up after this long", "30s");
  if (stages.committer)
    cmd.option(
      "--quiet-period <duration>",
      "close a change window after this long without events (committer.quietPeriod)",
    );
  cmd.addHelpText(
    "after",
    `\nStops on SIGTERM/SIGINT: ${stages.committer ? "the open window is committed and acknowledged, " : ""}then exits 0.\n${stages.watcher ? "Applies the V8 flag --optimize-for-size at start (about half the peak memory of the initial list;\nSHIPLOG_V8_FLAGS replaces it, empty for V8's defaults).\n" : ""}Examples:\n  shiplog ${name} --context my-cluster\n  shiplog ${name} --config /etc/shiplog/config.yaml -n team-a`,
  );
  return cmd.action(async (flags: ServeFlags, c: Command) => {
    // Before the pipeline's modules load, so that their start-up allocations already follow the flags.
    let v8Flags: string[] = [];
    if (stages.watcher) {
      const { applyV8Flags, v8FlagsFromEnv } = await import("../runtime/v8-flags.js");
      try {
        v8Flags = applyV8Flags(v8FlagsFromEnv(io.env));
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), ExitCodes.config, {
          cause: err,
        });
      }
    }
    const extra: Array<readonly [string, unknown, string]> = [];
    if (flags.listen !== undefined) extra.push(["server.listen", flags.listen, "--listen"]);
    if (flags.quietPeriod !== undefined)
      extra.push(["committer.quietPeriod", flags.quietPeriod, "--quiet-period"]);
    const [{ parseDuration }, { prepare }] = await Promise.all([
      import("@shiplog/core"),
      import("../runtime/context.js"),
    ]);
    // A bad value is core's ConfigError naming the flag: exit 2 (cli-error.ts).
    const shutdownTimeoutMs = parseDuration(flags.shutdownTimeout, "--shutdown-timeout");
    const ctx = await prepare(
      globalsOf(c),
      io,
      { kube: stages.watcher, redis: true, canonicalizer: stages.watcher },
      { namespaceFilter: true, extra },
    );
    const { serve } = await loadNative("the pipeline", () => import("../runtime/serve.js"));
    await serve(ctx, io, stages, { shutdownTimeoutMs, v8Flags });
  });
}

export function runCommand(io: CliIo): Command {
  return serveCommand(io, "run", { watcher: true, committer: true, notifier: true });
}
