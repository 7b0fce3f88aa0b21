/**
 * Per-sink routing: which changes of a published commit a sink receives. Includes narrow, excludes
 * remove; a commit that keeps no change is not sent to that sink.
 */
import type { LabelSelector, PublishedChange, PublishedCommit, SinkRoutes } from "@shiplog/core";
import { matchesSelector, parseLabelSelector } from "@shiplog/core";

export interface Router {
  /** The commit with only the changes this sink wants, or undefined when none is left. */
  route(commit: PublishedCommit): PublishedCommit | undefined;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

function matcher(patterns: readonly string[] | undefined): ((v: string) => boolean) | undefined {
  if (patterns === undefined || patterns.length === 0) return undefined;
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const globs = patterns.filter((p) => p.includes("*")).map(globToRegExp);
  return (v) => exact.has(v) || globs.some((g) => g.test(v));
}

export function createRouter(rules: SinkRoutes): Router {
  const ns = matcher(rules.namespaces);
  const exNs = matcher(rules.excludeNamespaces);
  const types = matcher(rules.types);
  const exTypes = matcher(rules.excludeTypes);
  const ops = matcher(rules.ops);
  const exOps = matcher(rules.excludeOps);
  const authors = matcher(rules.authors);
  const exAuthors = matcher(rules.excludeAuthors);
  const selector: LabelSelector = parseLabelSelector(rules.labelSelector ?? "");

  const authorMatches = (m: (v: string) => boolean, c: PublishedCommit): boolean =>
    m(c.author.name) || (c.author.email !== "" && m(c.author.email));

  const changeMatches = (ch: PublishedChange): boolean => {
    if (ns && !ns(ch.namespace)) return false;
    if (exNs?.(ch.namespace)) return false;
    if (types && !types(ch.type)) return false;
    if (exTypes?.(ch.type)) return false;
    if (ops && !ops(ch.op)) return false;
    if (exOps?.(ch.op)) return false;
    return selector.length === 0 || matchesSelector(selector, ch.labels ?? {});
  };

  return {
    route(commit) {
      if (authors && !authorMatches(authors, commit)) return undefined;
      if (exAuthors && authorMatches(exAuthors, commit)) return undefined;
      const changes = commit.changes.filter(changeMatches);
      if (changes.length === 0) return undefined;
      return changes.length === commit.changes.length ? commit : { ...commit, changes };
    },
  };
}
