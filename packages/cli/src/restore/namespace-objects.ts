/** Which recorded files make up one namespace at a revision, for `shiplog restore -n <ns>`. */
import { parsePath } from "@shiplog/core";
import { listFiles } from "../git/git-cli.js";

export interface RecordedPath {
  path: string;
  /** `<type id>/<name>` (`configmaps/settings`, `deployments.apps/web`), how messages name it. */
  what: string;
}

/**
 * Every object file of `namespace` in `rev`'s tree in path order, led by the Namespace object itself
 * when it was recorded, so that a stream piped to `kubectl apply -f -` can recreate a deleted namespace.
 */
export async function namespaceObjects(
  repo: string,
  rev: string,
  namespace: string,
): Promise<RecordedPath[]> {
  const own: RecordedPath[] = [];
  const nsObject: RecordedPath[] = [];
  for (const path of await listFiles(repo, rev)) {
    const p = parsePath(path);
    if (p === undefined) continue;
    if (p.namespace === namespace) own.push({ path, what: `${p.type}/${p.name}` });
    else if (p.namespace === "" && p.type === "namespaces" && p.name === namespace)
      nsObject.push({ path, what: `${p.type}/${p.name}` });
  }
  return [...nsObject, ...own];
}
