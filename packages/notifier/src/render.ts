/**
 * The platform-neutral message model: what a person should read about one commit (or a digest of
 * several). Platforms (slack.ts, teams.ts, ...) only lay this model out within their limits.
 */
import type { ChangeOp, PublishedChange, PublishedCommit } from "@shiplog/core";
import { COMMIT_URL_PLACEHOLDERS } from "@shiplog/core";

export interface RenderedChange {
  readonly op: ChangeOp;
  readonly type: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** `default/deployments.apps/web`, or `deployments.apps/web` when cluster-scoped. */
  readonly ref: string;
  readonly summary: string;
  readonly updates: number;
  readonly vanished: boolean;
  /** Short unified diff, at most `maxDiffLines` lines (file headers dropped). */
  readonly diffLines: readonly string[];
  /** Diff lines cut from `diffLines` (by this renderer or upstream). */
  readonly diffLinesCut: number;
}

export interface RenderedCommit {
  readonly sha: string;
  readonly shortSha: string;
  readonly cluster: string;
  readonly branch: string;
  readonly author: string;
  readonly subject: string;
  readonly committedAt: string;
  /** Link to the commit, when a template is configured. */
  readonly url: string | undefined;
  readonly counts: Readonly<Record<ChangeOp, number>>;
  readonly changes: readonly RenderedChange[];
}

export interface RenderedDigest {
  readonly cluster: string;
  readonly commits: readonly RenderedCommit[];
  readonly totalChanges: number;
  /** ISO times of the first and last commit in the digest. */
  readonly from: string;
  readonly to: string;
}

export type Message =
  | { readonly kind: "commit"; readonly commit: RenderedCommit }
  | { readonly kind: "digest"; readonly digest: RenderedDigest };

export interface RenderOptions {
  readonly commitUrlTemplate: string | undefined;
  readonly maxDiffLines: number;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

type Placeholder = (typeof COMMIT_URL_PLACEHOLDERS)[number];
const PLACEHOLDER = new RegExp(`\\{(${COMMIT_URL_PLACEHOLDERS.join("|")})\\}`, "g");

/**
 * Fill core's `COMMIT_URL_PLACEHOLDERS` (`{sha}`, `{shortSha}`, `{branch}`, `{cluster}`); branch keeps
 * its `/`, everything is URL-encoded.
 */
export function commitUrl(
  template: string | undefined,
  c: Pick<PublishedCommit, "sha" | "branch" | "cluster">,
): string | undefined {
  if (template === undefined) return undefined;
  const values: Record<Placeholder, string> = {
    sha: encodeURIComponent(c.sha),
    shortSha: encodeURIComponent(shortSha(c.sha)),
    branch: c.branch.split("/").map(encodeURIComponent).join("/"),
    cluster: encodeURIComponent(c.cluster),
  };
  return template.replace(PLACEHOLDER, (_m, name: Placeholder) => values[name]);
}

export function changeRef(ch: Pick<PublishedChange, "namespace" | "type" | "name">): string {
  return ch.namespace === "" ? `${ch.type}/${ch.name}` : `${ch.namespace}/${ch.type}/${ch.name}`;
}

/** Diff lines worth showing: file headers go (the object is named already), hunks stay. */
function diffBody(diff: string): string[] {
  const lines = diff.split("\n");
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.filter(
    (l) => !l.startsWith("--- ") && !l.startsWith("+++ ") && !l.startsWith("Index: ") && !/^={5,}$/.test(l),
  );
}

export function renderChange(ch: PublishedChange, maxDiffLines: number): RenderedChange {
  const body = diffBody(ch.diff);
  const kept = body.slice(0, maxDiffLines);
  return {
    op: ch.op,
    type: ch.type,
    kind: ch.kind,
    namespace: ch.namespace,
    name: ch.name,
    ref: changeRef(ch),
    summary: ch.summary,
    updates: ch.updates,
    vanished: ch.vanished === true,
    diffLines: kept,
    diffLinesCut: body.length - kept.length,
  };
}

export function renderCommit(commit: PublishedCommit, opts: RenderOptions): RenderedCommit {
  const counts: Record<ChangeOp, number> = { create: 0, update: 0, delete: 0 };
  for (const ch of commit.changes) counts[ch.op]++;
  return {
    sha: commit.sha,
    shortSha: shortSha(commit.sha),
    cluster: commit.cluster,
    branch: commit.branch,
    author: commit.author.name,
    subject: commit.subject,
    committedAt: commit.committedAt,
    url: commitUrl(opts.commitUrlTemplate, commit),
    counts,
    changes: commit.changes.map((ch) => renderChange(ch, opts.maxDiffLines)),
  };
}

export function renderDigest(commits: readonly PublishedCommit[], opts: RenderOptions): RenderedDigest {
  const rendered = commits.map((c) => renderCommit(c, { ...opts, maxDiffLines: 0 }));
  const times = commits.map((c) => c.committedAt).sort();
  return {
    cluster: commits[0]?.cluster ?? "",
    commits: rendered,
    totalChanges: rendered.reduce((n, c) => n + c.changes.length, 0),
    from: times[0] ?? "",
    to: times[times.length - 1] ?? "",
  };
}

/** `update deployments.apps default/web (×3)` — one line naming a change. */
export function changeTitle(ch: RenderedChange): string {
  const target = ch.namespace === "" ? `${ch.type} ${ch.name}` : `${ch.type} ${ch.namespace}/${ch.name}`;
  const extra = ch.vanished ? " (vanished while not watched)" : ch.updates > 1 ? ` (×${ch.updates})` : "";
  return `${ch.op} ${target}${extra}`;
}

/** `3 changes: 1 create, 2 update` */
export function countsLine(c: RenderedCommit): string {
  const parts = (["create", "update", "delete"] as const)
    .filter((op) => c.counts[op] > 0)
    .map((op) => `${c.counts[op]} ${op}`);
  const n = c.changes.length;
  return `${n} change${n === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** `alice changed 3 objects in prod` style heading for a commit. */
export function commitHeadline(c: RenderedCommit): string {
  const n = c.changes.length;
  const cluster = c.cluster === "" ? "" : ` in ${c.cluster}`;
  return `${c.author} changed ${n} object${n === 1 ? "" : "s"}${cluster}`;
}

export function digestHeadline(d: RenderedDigest): string {
  const n = d.commits.length;
  const cluster = d.cluster === "" ? "" : ` in ${d.cluster}`;
  return `${n} commits${cluster} (${d.totalChanges} changes) — digest`;
}
