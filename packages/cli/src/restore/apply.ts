/** Server-side apply of a restored manifest with core's field manager (`RESTORE_FIELD_MANAGER`). */
import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { RESTORE_FIELD_MANAGER } from "@shiplog/core";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import { describeNetError, serverOf } from "../runtime/kube.js";

export interface ApplyOptions {
  /** Take over fields owned by other managers (kubectl --force-conflicts). @defaultValue false */
  forceConflicts?: boolean;
  /** Server-side dry run. @defaultValue false */
  dryRun?: boolean;
}

export async function serverSideApply(
  kc: KubeConfig,
  manifest: KubernetesObject,
  opts: ApplyOptions = {},
): Promise<KubernetesObject> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const what = `${manifest.kind ?? "object"}/${manifest.metadata?.name ?? "?"}`;
  try {
    return await api.patch(
      manifest,
      undefined,
      opts.dryRun === true ? "All" : undefined,
      RESTORE_FIELD_MANAGER,
      opts.forceConflicts === true,
      PatchStrategy.ServerSideApply,
    );
  } catch (err) {
    if (err instanceof ApiException) {
      const code = err.code;
      const body = typeof err.body === "string" ? tryMessage(err.body) : undefined;
      if (code === 409) {
        throw new CliError(
          `applying ${what} conflicts with fields owned by other managers${body ? ` (${body})` : ""}; re-run with --force-conflicts to take them over`,
          ExitCodes.failure,
          { cause: err },
        );
      }
      if (code === 403) {
        throw new CliError(`not allowed to apply ${what}${body ? `: ${body}` : ""}`, ExitCodes.forbidden, {
          cause: err,
        });
      }
      throw new CliError(
        `applying ${what} failed (HTTP ${code})${body ? `: ${body}` : ""}`,
        ExitCodes.failure,
        { cause: err },
      );
    }
    const net = describeNetError(err);
    throw new CliError(
      `applying ${what} to ${serverOf(kc)} failed: ${net || oneLine(err)}`,
      ExitCodes.unavailable,
      { cause: err },
    );
  }
}

function tryMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : undefined;
  } catch (err) {
    return err instanceof SyntaxError ? body.slice(0, 200) : undefined;
  }
}
