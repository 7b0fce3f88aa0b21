import { createRequire } from "node:module";
import type * as Core from "@shiplog/core";
import { Command, Option } from "commander";
import type { RestoreFlags } from "../actions/restore.js";
import type { CliIo } from "../cli-io.js";
import { SOPS_AGE_KEY_FILE_ENV } from "../config/env-vars.js";
import { objectAction } from "./object-action.js";

/**
 * `--apply` names core's field manager. Core is read when the help is rendered, not when the command
 * tree is built: a static import would add core's load time to every command's start (ADR 0042).
 */
function applyOption(): Option {
  const option = new Option("--apply");
  Object.defineProperty(option, "description", {
    get: () => {
      const { RESTORE_FIELD_MANAGER } = createRequire(import.meta.url)("@shiplog/core") as typeof Core;
      return `server-side apply it to the cluster with field manager ${RESTORE_FIELD_MANAGER}`;
    },
  });
  return option;
}

export function restoreCommand(io: CliIo): Command {
  return new Command("restore")
    .description(
      "print an object's manifest (or a namespace's) as it was at a revision; --apply puts it back (server-side apply)",
    )
    .argument(
      "[type/name]",
      "e.g. deployment/web, configmap/settings, secret/db; without it, every object of -n <namespace>",
    )
    .option(
      "--from <rev>",
      "commit, tag, branch or expression (HEAD~3, main@{1 hour ago}); default: the branch head (repo.branch)",
    )
    .addOption(applyOption())
    .option("--force-conflicts", "with --apply: take over fields other managers own")
    .option("--dry-run", "with --apply: server-side dry run, change nothing")
    .option(
      "--age-identity <file>",
      `age identity file to decrypt encrypted Secrets (env: ${SOPS_AGE_KEY_FILE_ENV})`,
    )
    .addHelpText(
      "after",
      [
        "",
        "Without --apply nothing changes: the manifest is printed for `kubectl apply -f -`. Metadata the",
        "apiserver sets (uid, resourceVersion, creationTimestamp, generation, managedFields, ...) is left",
        "out, so a deleted object is recreated. An object deleted by the revision is restored as it was",
        "just before the commit that deleted it (a note on stderr names that commit).",
        "",
        "`shiplog restore -n team-a --from REV` prints every object recorded in team-a at REV (its",
        "Namespace first) as one YAML stream; --apply applies them one by one. Objects created after REV",
        "are not deleted.",
        "",
        "Redacted or omitted Secrets cannot be restored: their values were never recorded (a namespace",
        "restore skips them with a message). Encrypted (sops/age) Secrets are decrypted in-process with",
        "the age identity; no sops binary is needed.",
      ].join("\n"),
    )
    .action(
      objectAction<RestoreFlags, string | undefined>(
        io,
        async () => (await import("../actions/restore.js")).restoreAction,
      ),
    );
}
