/** Flags every command accepts (kubectl habits plus the config file), declared once on the root. */
import { Option, type Command } from "commander";

export interface GlobalOptions {
  config?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  redisUrl?: string;
  repo?: string;
  logLevel?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option("--config <file>", "YAML config file (env: SHIPLOG_CONFIG)")
    .option("--kubeconfig <file>", "kubeconfig file (env: KUBECONFIG)")
    .option("--context <name>", "kubeconfig context to use")
    .option(
      "-n, --namespace <ns>",
      "namespace (run/watch/snapshot: only this one; history/restore: the object's)",
    )
    .addOption(
      new Option("-A, --all-namespaces", "all namespaces (the default for run/watch/snapshot)").conflicts(
        "namespace",
      ),
    )
    .option("--redis-url <url>", "Redis URL (env: SHIPLOG_REDIS_URL)")
    .option("--repo <path>", "local Git repository path (env: SHIPLOG_REPO_PATH)")
    .option(
      "--log-level <level>",
      "fatal, error, warn, info, debug, trace or silent (env: SHIPLOG_LOG_LEVEL)",
    );
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}
