import { Command } from "commander";
import type { RestoreFlags } from "../actions/restore.js";
import type { CliIo } from "../cli-io.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";

/** Field manager of `restore --apply` (duplicated from restore/apply.ts to keep --help light). */
const RESTORE_FIELD_MANAGER = "shiplog-restore";

export function restoreCommand(io: CliIo): Command {
  return new Command("restore")
    .description(
      "print an object's manifest as it was at a revision; --apply puts it back (server-side apply)",
    )
    .argument("<type/name>", "e.g. deployment/web, configmap/settings, secret/db")
    .requiredOption("--from <rev>", "commit, tag, branch or expression (HEAD~3, main@{1 hour ago})")
    .option("--apply", `server-side apply it to the cluster with field manager ${RESTORE_FIELD_MANAGER}`)
    .option("--force-conflicts", "with --apply: take over fields other managers own")
    .option("--dry-run", "with --apply: server-side dry run, change nothing")
    .option(
      "--age-identity <file>",
      `age identity file to decrypt encrypted Secrets (env: ${SOPS_AGE_KEY_FILE_ENV})`,
    )
    .addHelpText(
      "after",
      "\nRedacted or omitted Secrets cannot be restored: their values were never recorded. Encrypted\n(sops/age) Secrets are decrypted in-process with the age identity; no sops binary is needed.",
    )
    .action(async (arg: string, flags: RestoreFlags, cmd: Command) => {
      const { restoreAction } = await import("../actions/restore.js");
      await restoreAction(io, arg, flags, cmd);
    });
}
