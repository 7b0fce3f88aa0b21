/**
 * `shiplog log`: git log of the recorded repository with the filters people reach for during an
 * incident. Namespace and type become pathspecs (`<ns>/<type id>/`), the times `--since`/`--until`.
 * The user matches the author's name or email (case-insensitive substring) or, exactly, the
 * Kubernetes username in a `Shiplog-User` trailer (a user mapped to another Git name is still found by
 * username).
 */
import { parseDuration, parsePath } from "@shiplog/core";
import type { Command } from "commander";
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo } from "../cli-io.js";
import { git } from "../git/git-cli.js";
import { allObjectPaths, typeMatches } from "../git/resolve-path.js";
import { openRecordedRepo } from "./recorded-object.js";

export interface LogFlags {
  type?: string;
  user?: string;
  since?: string;
  until?: string;
  maxCount?: string;
  patch?: boolean;
  from?: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A git date for `--<flag> <when>`: a duration ago, or an ISO date as it is. */
export function gitDate(flag: string, when: string, now: number): string {
  if (ISO_DATE.test(when)) return when;
  try {
    return new Date(now - parseDuration(when, flag)).toISOString();
  } catch {
    throw new CliError(
      `${flag}: expected a duration ago ("1h", "30m") or a date (2026-12-01T10:00:00Z), got "${when}"`,
      ExitCodes.config,
    );
  }
}

/** Pathspecs for `-n` and `--type`: every recorded type directory that matches, in the namespace. */
async function pathspecs(
  repo: string,
  rev: string,
  ns: string | undefined,
  type: string | undefined,
): Promise<string[]> {
  if (type === undefined) return ns === undefined ? [] : [`${ns}/`];
  const dirs = new Set<string>();
  for (const p of await allObjectPaths(repo, rev)) {
    const parsed = parsePath(p);
    if (parsed === undefined || !typeMatches(parsed.type, type)) continue;
    if (ns !== undefined && parsed.namespace !== ns) continue;
    dirs.add(`${p.split("/").slice(0, 2).join("/")}/`); // <namespace or _cluster>/<type id>/
  }
  if (dirs.size === 0) {
    const where = ns === undefined ? "" : ` in namespace ${ns}`;
    throw new CliError(`no object of type "${type}" was ever recorded${where} in ${repo}`, ExitCodes.failure);
  }
  return [...dirs].sort();
}

export async function logAction(io: CliIo, rawFlags: unknown, cmd: Command): Promise<void> {
  const flags = rawFlags as LogFlags;
  const { repo, rev, namespace } = await openRecordedRepo(io, cmd, flags.from);
  const maxCount = flags.maxCount === undefined ? undefined : Number(flags.maxCount);
  if (maxCount !== undefined && !(Number.isInteger(maxCount) && maxCount > 0)) {
    throw new CliError(`--max-count: expected a positive integer, got "${flags.maxCount}"`, ExitCodes.config);
  }
  const now = Date.now();
  const times = [
    ...(flags.since !== undefined ? [`--since=${gitDate("--since", flags.since, now)}`] : []),
    ...(flags.until !== undefined ? [`--until=${gitDate("--until", flags.until, now)}`] : []),
  ];
  const paths = ["--", ...(await pathspecs(repo, rev, namespace, flags.type))];
  const show = [
    "log",
    "--no-color",
    "--format=commit %H%nAuthor: %an <%ae>%nDate:   %aI%n%n    %s%n%w(0,4,4)%b",
    flags.patch === true ? "-p" : "--name-status",
  ];
  if (flags.user === undefined) {
    const count = maxCount !== undefined ? [`--max-count=${maxCount}`] : [];
    io.stdout.write(await git(repo, [...show, ...times, ...count, rev, ...paths]));
    return;
  }
  const shas = await commitsBy(repo, flags.user, [...times, rev, ...paths], maxCount);
  if (shas.length === 0) return;
  io.stdout.write(await git(repo, [...show, "--no-walk=unsorted", ...shas, ...paths]));
}

/** Newest first: the commits whose author or `Shiplog-User` trailer matches `user`. */
async function commitsBy(
  repo: string,
  user: string,
  selection: readonly string[],
  maxCount: number | undefined,
): Promise<string[]> {
  const out = await git(repo, [
    "log",
    "--format=%H%x1f%an <%ae>%x1f%(trailers:key=Shiplog-User,valueonly,separator=%x1f)%x1e",
    ...selection,
  ]);
  const needle = user.toLowerCase();
  const shas: string[] = [];
  for (const rec of out.split("\x1e")) {
    const [sha, author, ...users] = rec.trim().split("\x1f");
    if (sha === undefined || sha === "" || author === undefined) continue;
    if (!author.toLowerCase().includes(needle) && !users.some((u) => u.trim() === user)) continue;
    shas.push(sha);
    if (maxCount !== undefined && shas.length >= maxCount) break;
  }
  return shas;
}
