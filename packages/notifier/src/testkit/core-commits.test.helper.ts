/**
 * Test-only: PublishedCommits built from real core output (canonicalizer, summary, unified diff), the
 * way the committer builds them, for Secrets with random values.
 */
import { randomBytes } from "node:crypto";
import {
  createCanonicalizer,
  defaultConfig,
  SECRET_MODE_NAMES,
  SecretModeRegistry,
  summarizeChange,
  unifiedDiff,
} from "@shiplog/core";
import type { KubeObject, PublishedChange, PublishedCommit, ResourceType, SecretMode } from "@shiplog/core";
import { fakeSha } from "./commits.test.helper.js";
import { TestTypes } from "@shiplog/core/testing";

const SECRETS: ResourceType = TestTypes.secrets;
const CONFIGMAPS: ResourceType = {
  group: "",
  version: "v1",
  resource: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};

export function randomSecretValue(): string {
  // Printable, long enough that a chance match in a payload is impossible.
  return `pw-${randomBytes(12).toString("base64url")}`;
}

function canonicalizer(mode: SecretMode) {
  const cfg = defaultConfig();
  return createCanonicalizer({
    normalize: cfg.normalize,
    secrets: { ...cfg.secrets, mode },
    hmacKey: "notifier-test-hmac-key-0123456789",
    cluster: "prod",
  });
}

function secret(
  ns: string,
  name: string,
  data: Record<string, string>,
  stringData?: Record<string, string>,
): KubeObject {
  const obj: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name,
      namespace: ns,
      labels: { app: name },
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ data, stringData }),
      },
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
  if (stringData) obj["stringData"] = stringData;
  return obj;
}

function content(mode: SecretMode, type: ResourceType, obj: KubeObject): string {
  const r = canonicalizer(mode).canonicalize(type, obj);
  if (r.skipped) throw new Error(`core skipped the test object: ${r.reason}`);
  return r.content;
}

function publishedChange(
  prev: string | undefined,
  next: string | undefined,
  meta: Omit<PublishedChange, "op" | "summary" | "diff" | "updates">,
): PublishedChange {
  const s = summarizeChange(prev, next);
  return {
    ...meta,
    op: s.op,
    summary: s.summary,
    updates: 1,
    diff: unifiedDiff(prev ?? "", next ?? "", meta.path),
  };
}

/** The modes that replace Secret values one by one with a marker (the others encrypt the document). */
export const MARKER_MODES: readonly SecretMode[] = SECRET_MODE_NAMES.filter(
  (m) => SecretModeRegistry[m].marker !== undefined,
);

/**
 * A commit rotating Secret values (update), creating a new Secret and deleting one, plus a ConfigMap
 * edit, all from real core output. Returns the plaintext values that must never appear anywhere.
 */
export function secretRotationCommit(mode: SecretMode): { commit: PublishedCommit; values: string[] } {
  const values: string[] = [];
  const v = (): string => {
    const x = randomSecretValue();
    values.push(x);
    return x;
  };
  const ns = "prod";
  const before = secret(ns, "db", { password: v(), user: v() });
  const after = secret(
    ns,
    "db",
    { password: v(), user: v(), token: v() },
    { "config.yaml": `password: ${v()}\nhost: db\n` },
  );
  const created = secret(ns, "api", {
    key: v(),
    "cert.pem": `-----BEGIN-----\n${v()}\n${v()}\n-----END-----\n`,
  });
  const deleted = secret(ns, "old", { legacy: v() });
  const cmBefore: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cfg", namespace: ns },
    data: { level: "info" },
  };
  const cmAfter: KubeObject = { ...cmBefore, data: { level: "debug" } };
  const secretMeta = (name: string) => ({
    type: "secrets",
    kind: "Secret",
    namespace: ns,
    name,
    path: `${ns}/secrets/${name}.yaml`,
    labels: { app: name },
  });
  const changes: PublishedChange[] = [
    publishedChange(content(mode, SECRETS, before), content(mode, SECRETS, after), secretMeta("db")),
    publishedChange(undefined, content(mode, SECRETS, created), secretMeta("api")),
    publishedChange(content(mode, SECRETS, deleted), undefined, secretMeta("old")),
    publishedChange(content(mode, CONFIGMAPS, cmBefore), content(mode, CONFIGMAPS, cmAfter), {
      type: "configmaps",
      kind: "ConfigMap",
      namespace: ns,
      name: "cfg",
      path: `${ns}/configmaps/cfg.yaml`,
    }),
  ];
  const commit: PublishedCommit = {
    sha: fakeSha(),
    cluster: "prod",
    branch: "main",
    author: { name: "kubectl-edit", email: "kubectl-edit@shiplog.local", source: "field-manager" },
    subject: "update secrets prod/db (+3 more)",
    committedAt: new Date().toISOString(),
    windowStart: new Date().toISOString(),
    windowEnd: new Date().toISOString(),
    changes,
  };
  return { commit, values };
}

/** Every form of a value that would reveal it: plain, base64, base64url, hex. */
export function forms(value: string): string[] {
  const b = Buffer.from(value);
  return [value, b.toString("base64"), b.toString("base64url"), b.toString("hex")];
}
