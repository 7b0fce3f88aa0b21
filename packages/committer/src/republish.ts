import type { Author, ChangeOp, PublishedChange, PublishedCommit } from "@shiplog/core";
import { fromYaml, isRecord, parsePath, summarizeChange, unifiedDiff } from "@shiplog/core";
import { objectLabel } from "./commit-message.js";
import { firstParent } from "./commit-outbox.js";
import { diffTrees, EMPTY_TREE } from "./git/local-git.js";
import type { GitRepo } from "./git/repo.js";

/** What a raw commit object says about itself. */
export interface CommitHeader {
  readonly tree: string;
  readonly parent: string | null;
  readonly author: { readonly name: string; readonly email: string };
  readonly committer: { readonly name: string; readonly email: string; readonly timeMs: number };
  readonly message: string;
}

const SIGNATURE = /^(author|committer) (.*) <([^>]*)> (\d+) [+-]\d{4}$/;

export function parseCommit(raw: Buffer): CommitHeader {
  const text = raw.toString("utf8");
  const end = text.indexOf("\n\n");
  const head = (end < 0 ? text : text.slice(0, end)).split("\n");
  const sig = (role: string) => {
    const m = head.map((l) => SIGNATURE.exec(l)).find((x) => x?.[1] === role);
    return { name: m?.[2] ?? "", email: m?.[3] ?? "", timeMs: Number(m?.[4] ?? 0) * 1000 };
  };
  const author = sig("author");
  return {
    tree: /^tree ([0-9a-f]{40})$/.exec(head[0] ?? "")?.[1] ?? EMPTY_TREE,
    parent: firstParent(raw),
    author: { name: author.name, email: author.email },
    committer: sig("committer"),
    message: end < 0 ? "" : text.slice(end + 2),
  };
}

/** `- op type ns/name (N updates) (vanished): summary` lines of a message, by object label. */
interface MessageLine {
  readonly updates: number;
  readonly vanished: boolean;
  readonly summary: string;
}

function messageLines(message: string): Map<string, MessageLine> {
  const out = new Map<string, MessageLine>();
  const line = /^- (create|update|delete) (\S+ \S+?)( \((\d+) updates\))?( \(vanished\))?(?:: (.*))?$/;
  for (const l of message.split("\n")) {
    const m = line.exec(l);
    if (!m?.[2]) continue;
    out.set(m[2], { updates: Number(m[4] ?? 1), vanished: m[5] !== undefined, summary: m[6] ?? "" });
  }
  return out;
}

function trailer(message: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.+)$`, "m").exec(message)?.[1]?.trim();
}

function manifestFacts(text: string | undefined): { kind: string; labels?: Record<string, string> } {
  if (text === undefined) return { kind: "" };
  try {
    const doc = fromYaml(text);
    if (!isRecord(doc)) return { kind: "" };
    const kind = typeof doc["kind"] === "string" ? doc["kind"] : "";
    const meta = doc["metadata"];
    const labels = isRecord(meta) && isRecord(meta["labels"]) ? meta["labels"] : undefined;
    if (!labels) return { kind };
    const strings = Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string");
    return { kind, labels: Object.fromEntries(strings) };
  } catch {
    // A file that is not YAML (not one of ours): no kind and no labels, the rest still describes it.
    return { kind: "" };
  }
}

export interface RebuildOptions {
  readonly cluster: string;
  readonly branch: string;
  readonly diffMaxLines: number;
  /** shiplog's own identity: commits by it, the author of reconcile commits. */
  readonly shiplog: Author;
}

/**
 * The `PublishedCommit` of a commit shiplog wrote, rebuilt from git alone (its message, and its diff
 * against its first parent, through the same core functions the window writer uses). Used only for
 * a commit that reached the branch but never the outbox (ADR 0034); returns undefined for a commit
 * that is not shiplog's for this cluster (a foreign commit on the branch).
 */
export async function rebuildPublishedCommit(
  repo: GitRepo,
  sha: string,
  o: RebuildOptions,
): Promise<PublishedCommit | undefined> {
  const c = parseCommit(await repo.objects.read(sha));
  if (c.committer.email !== o.shiplog.email) return undefined;
  if (trailer(c.message, "Shiplog-Cluster") !== o.cluster) return undefined;
  const parentTree = c.parent === null ? EMPTY_TREE : await repo.treeOf(c.parent);
  const lines = messageLines(c.message);
  const changes: PublishedChange[] = [];
  for (const e of await diffTrees(repo.gitDir, parentTree ?? EMPTY_TREE, c.tree)) {
    const prev = e.before === undefined ? undefined : (await repo.objects.read(e.before)).toString("utf8");
    const next = e.after === undefined ? undefined : (await repo.objects.read(e.after)).toString("utf8");
    const op: ChangeOp = prev === undefined ? "create" : next === undefined ? "delete" : "update";
    const where = parsePath(e.path);
    const namespace = where?.namespace ?? "";
    const name = where?.name ?? e.path;
    const type = where?.type ?? "";
    const line = lines.get(objectLabel({ type, namespace, name }));
    const facts = manifestFacts(next ?? prev);
    changes.push({
      op,
      type,
      kind: facts.kind,
      namespace,
      name,
      path: e.path,
      ...(facts.labels ? { labels: facts.labels } : {}),
      summary:
        line?.summary ??
        (prev === undefined
          ? "created"
          : next === undefined
            ? "deleted"
            : summarizeChange(prev, next).summary),
      updates: line?.updates ?? 1,
      diff: unifiedDiff(prev ?? "", next ?? "", e.path, { maxLines: o.diffMaxLines }),
      ...(line?.vanished ? { vanished: true } : {}),
    });
  }
  const committedAt = new Date(c.committer.timeMs).toISOString();
  const known = c.author.email === o.shiplog.email || c.author.name === "unknown";
  return {
    sha,
    cluster: o.cluster,
    branch: o.branch,
    author: { ...c.author, source: known ? "unknown" : "field-manager" },
    subject: c.message.split("\n")[0] ?? "",
    committedAt,
    windowStart: trailer(c.message, "Shiplog-Window-Start") ?? committedAt,
    windowEnd: trailer(c.message, "Shiplog-Window-End") ?? committedAt,
    changes,
  };
}

/**
 * Commits on the first-parent chain from `head` back to (not including) `lastPublished`, oldest first,
 * at most `limit`. Empty when `lastPublished` is unknown (first run: nothing old is announced) or not
 * found within `limit` (history rewritten, e.g. replayed onto a moved remote: announcing it all again
 * would flood the chat).
 */
export async function commitsSince(
  repo: { readonly objects: { read(sha: string): Promise<Buffer> } },
  head: string | null,
  lastPublished: string | null,
  limit: number,
): Promise<string[]> {
  if (lastPublished === null) return [];
  const out: string[] = [];
  let at = head;
  while (at !== null && at !== lastPublished) {
    if (out.length >= limit) return [];
    out.push(at);
    at = firstParent(await repo.objects.read(at));
  }
  return at === lastPublished ? out.reverse() : [];
}
