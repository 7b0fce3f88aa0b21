import { resolve } from "node:path";
import type { Command } from "commander";
import { syncMessage, typeId, type ChangeMessage, type SyncMessage, type WatchMessage } from "@shiplog/core";
import { listAll } from "@shiplog/watcher";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { prepare, watchSelection } from "../runtime/context.js";
import { loadNative } from "../runtime/lazy.js";
import { ProgressBar } from "../runtime/progress.js";
import { globalsOf } from "../commands/global-options.js";

export async function snapshotAction(io: CliIo, _opts: unknown, cmd: Command): Promise<void> {
  const { commitSnapshot, openRepo } = await loadNative("the committer", () => import("@shiplog/committer"));
  const ctx = await prepare(
    globalsOf(cmd),
    io,
    { kube: true, canonicalizer: true },
    { namespaceFilter: true },
  );
  const { config, logger } = ctx;
  const canonicalizer = ctx.canonicalizer;
  const kc = ctx.kc;
  if (canonicalizer === undefined || kc === undefined) throw new Error("snapshot: context incomplete");
  const sel = watchSelection(ctx);
  const bar = new ProgressBar(io.stderr);
  const changes: ChangeMessage[] = [];
  const types = new Map<string, { group: string; resource: string; namespaced: boolean; paths: string[] }>();
  let skipped = 0;
  const observedAt = new Date().toISOString();
  const summary = await listAll(
    {
      kubeConfig: kc,
      include: sel.include,
      exclude: sel.exclude,
      ...(config.watch.labelSelector !== "" ? { labelSelector: config.watch.labelSelector } : {}),
      pageSize: config.watch.pageSize,
      onProgress: (p) =>
        bar.update(
          p.typesDone,
          p.typesTotal,
          `${p.typesDone}/${p.typesTotal} types, ${p.objects} objects (${p.type})`,
        ),
    },
    async (type, objects) => {
      const id = typeId(type);
      let entry = types.get(id);
      if (entry === undefined) {
        entry = { group: type.group, resource: type.resource, namespaced: type.namespaced, paths: [] };
        types.set(id, entry);
      }
      for (const obj of objects) {
        const r = await canonicalizer.canonicalizeAsync(type, obj);
        if (r.skipped) {
          skipped++;
          logger.debug({ type: id, reason: r.reason }, "object skipped");
          continue;
        }
        entry.paths.push(r.path);
        changes.push({
          kind: "change",
          op: "listed",
          type: id,
          key: r.key,
          path: r.path,
          resourceVersion: obj.metadata?.resourceVersion ?? "",
          observedAt,
          content: r.content,
          contentHash: r.contentHash,
          ...(r.manager !== undefined ? { manager: r.manager } : {}),
          ...(r.changedAt !== undefined ? { changedAt: r.changedAt } : {}),
          ...(r.labels !== undefined ? { labels: r.labels } : {}),
        });
      }
    },
  );
  bar.finish();
  const namespaces = config.watch.include.namespaces;
  const syncs: SyncMessage[] = summary.types.flatMap((t) => {
    const e = types.get(t.type);
    if (e === undefined) return [];
    return [syncMessage({ type: t.type, ...e, namespaces, resourceVersion: t.resourceVersion, observedAt })];
  });
  const messages: WatchMessage[] = [...changes, ...syncs];
  const repoPath = resolve(io.cwd, config.repo.path);
  let result;
  try {
    const repo = await openRepo({ path: repoPath, branch: config.repo.branch, logger });
    result = await commitSnapshot(repo, {
      cluster: ctx.cluster,
      messages,
      authorDomain: config.repo.authorDomain,
    });
  } catch (err) {
    throw new CliError(`writing the snapshot to ${repoPath} failed: ${oneLine(err)}`, ExitCodes.failure, {
      cause: err,
    });
  }
  for (const f of summary.failed)
    logger.warn({ type: f.type, code: f.code, reason: f.reason }, "type could not be listed");
  const objects = changes.length;
  const head = result.commit?.sha ?? result.head ?? "none";
  io.stdout.write(
    `${result.commit ? `snapshot ${head.slice(0, 12)}: ${result.commit.changes.length} change(s)` : `no changes (branch ${config.repo.branch} at ${head.slice(0, 12)})`}; ${objects} objects of ${summary.types.length} types in ${repoPath}${skipped > 0 ? `, ${skipped} skipped` : ""}${summary.failed.length > 0 ? `, ${summary.failed.length} type(s) failed: ${summary.failed.map((f) => f.type).join(", ")}` : ""}\n`,
  );
  if (summary.failed.length > 0 && summary.types.length === 0) {
    throw new CliError("no type could be listed", ExitCodes.forbidden);
  }
}
