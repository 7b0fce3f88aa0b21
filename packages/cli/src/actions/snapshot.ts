import { resolve } from "node:path";
import type { Command } from "commander";
import { syncMessage, typeId, type ChangeMessage } from "@shiplog/core";
import { listAll } from "@shiplog/watcher";
import { CliError, ExitCodes, oneLine } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { prepare, watchSelection } from "../runtime/context.js";
import { loadNative } from "../runtime/lazy.js";
import { ProgressBar } from "../runtime/progress.js";
import { globalsOf } from "../commands/global-options.js";

export async function snapshotAction(io: CliIo, _opts: unknown, cmd: Command): Promise<void> {
  const { SnapshotWriter, openRepo } = await loadNative("the committer", () => import("@shiplog/committer"));
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
  const repoPath = resolve(io.cwd, config.repo.path);
  const failWrite = (err: unknown): CliError =>
    new CliError(`writing the snapshot to ${repoPath} failed: ${oneLine(err)}`, ExitCodes.failure, {
      cause: err,
    });
  // Objects stream into the repository as they are listed (ADR 0039): only paths and blob ids are kept.
  let writer;
  try {
    const repo = await openRepo({ path: repoPath, branch: config.repo.branch, logger });
    writer = await SnapshotWriter.start(repo, {
      cluster: ctx.cluster,
      authorDomain: config.repo.authorDomain,
    });
  } catch (err) {
    throw failWrite(err);
  }
  const types = new Map<string, { group: string; resource: string; namespaced: boolean; paths: string[] }>();
  let skipped = 0;
  let objects = 0;
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
    async (type, page) => {
      const id = typeId(type);
      let entry = types.get(id);
      if (entry === undefined) {
        entry = { group: type.group, resource: type.resource, namespaced: type.namespaced, paths: [] };
        types.set(id, entry);
      }
      for (const obj of page) {
        const r = await canonicalizer.canonicalizeAsync(type, obj);
        if (r.skipped) {
          skipped++;
          logger.debug({ type: id, reason: r.reason }, "object skipped");
          continue;
        }
        entry.paths.push(r.path);
        objects++;
        const change: ChangeMessage = {
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
        };
        try {
          await writer.add(change);
        } catch (err) {
          throw failWrite(err);
        }
      }
    },
  );
  bar.finish();
  const namespaces = config.watch.include.namespaces;
  let result;
  try {
    for (const t of summary.types) {
      const e = types.get(t.type);
      if (e === undefined) continue;
      await writer.add(
        syncMessage({ type: t.type, ...e, namespaces, resourceVersion: t.resourceVersion, observedAt }),
      );
    }
    result = await writer.finish();
  } catch (err) {
    throw failWrite(err);
  }
  for (const f of summary.failed)
    logger.warn({ type: f.type, code: f.code, reason: f.reason }, "type could not be listed");
  const head = result.commit?.sha ?? result.head ?? "none";
  io.stdout.write(
    `${result.commit ? `snapshot ${head.slice(0, 12)}: ${result.commit.changes.length} change(s)` : `no changes (branch ${config.repo.branch} at ${head.slice(0, 12)})`}; ${objects} objects of ${summary.types.length} types in ${repoPath}${skipped > 0 ? `, ${skipped} skipped` : ""}${summary.failed.length > 0 ? `, ${summary.failed.length} type(s) failed: ${summary.failed.map((f) => f.type).join(", ")}` : ""}\n`,
  );
  if (summary.failed.length > 0 && summary.types.length === 0) {
    throw new CliError("no type could be listed", ExitCodes.forbidden);
  }
}
