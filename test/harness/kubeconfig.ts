// Writes kubeconfig files for the test control plane (admin token, client certificates, the
// controller-manager and the audit webhook backend).
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

export type KubeconfigUser = { token: string } | { clientCertificate: string; clientKey: string };

/** Writes a one-context kubeconfig (mode 0600) and returns its path. */
export function writeKubeconfig(
  path: string,
  opts: { server: string; caFile: string; user: KubeconfigUser; name?: string },
): string {
  const name = opts.name ?? "shiplog-test";
  const user =
    "token" in opts.user
      ? { token: opts.user.token }
      : { "client-certificate": opts.user.clientCertificate, "client-key": opts.user.clientKey };
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: opts.server, "certificate-authority": opts.caFile } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}

/**
 * The kubeconfig-format file the apiserver's audit webhook backend reads: the receiver's URL, the CA
 * its serving certificate chains to (https), and the bearer token the apiserver presents.
 */
export function writeAuditWebhookConfig(
  path: string,
  target: { url: string; caFile?: string; token?: string },
): string {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "audit-sink",
        cluster: {
          server: target.url,
          ...(target.caFile !== undefined ? { "certificate-authority": target.caFile } : {}),
        },
      },
    ],
    users: [{ name: "apiserver", user: target.token !== undefined ? { token: target.token } : {} }],
    contexts: [{ name: "default", context: { cluster: "audit-sink", user: "apiserver" } }],
    "current-context": "default",
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}

/** Logs every request at Metadata level, except the noisy read-only health and discovery probes. */
export const DEFAULT_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version", "/openapi*", "/api", "/apis", "/api/*", "/apis/*"]
  - level: Metadata
`;
