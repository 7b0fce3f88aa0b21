// Queue messages for tests, the way the watcher produces them (ConfigMaps only).
import type { ChangeMessage, ResourceKey, SyncMessage } from "@shiplog/core";
import { pathForKey, syncMessage, toYaml } from "@shiplog/core";

function configMapKey(namespace: string, name: string): ResourceKey {
  return { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespace, name };
}

function change(
  key: ResourceKey,
  path: string,
  op: ChangeMessage["op"],
  content: string | undefined,
  extra: { manager?: string | undefined; observedAt?: string | undefined } = {},
): ChangeMessage {
  return {
    kind: "change",
    op,
    type: "configmaps",
    key,
    path,
    resourceVersion: "1",
    observedAt: extra.observedAt ?? new Date().toISOString(),
    ...(extra.manager === undefined ? {} : { manager: extra.manager }),
    ...(content === undefined ? {} : { content }),
  };
}

/** A change of ConfigMap `namespace/name` with `data` (as YAML content; none for a deletion). */
export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string>,
  opts: { op?: ChangeMessage["op"]; manager?: string; observedAt?: string } = {},
): ChangeMessage {
  const key = configMapKey(namespace, name);
  const op = opts.op ?? "modified";
  const content = toYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data });
  return change(key, pathForKey(key), op, op === "deleted" ? undefined : content, opts);
}

/**
 * A change at `path` (`<ns>/configmaps/<name>.yaml`, or a malformed one) with raw `content`, observed
 * at a fixed time: for unit tests of the window plan.
 */
export function configMapAt(path: string, op: ChangeMessage["op"], content?: string): ChangeMessage {
  const [ns, , file] = path.split("/");
  const key = configMapKey(ns ?? "", (file ?? "").replace(".yaml", ""));
  return change(key, path, op, content, { observedAt: "2026-01-01T00:00:00.000Z" });
}

/** The watcher's sync message after a relist of ConfigMaps that found `paths`. */
export function configMapSync(paths: string[], namespaces?: string[]): SyncMessage {
  return syncMessage({
    type: "configmaps",
    group: "",
    resource: "configmaps",
    namespaced: true,
    namespaces,
    paths,
    resourceVersion: "100",
    observedAt: new Date().toISOString(),
  });
}
