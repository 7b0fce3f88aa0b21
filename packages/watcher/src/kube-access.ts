/**
 * What the watcher needs of a kubeconfig: where the apiserver is, and how to authenticate one
 * request to it. The CLI's loader (`packages/cli/src/runtime/kubeconfig.ts`) provides it without
 * importing a generated API client; `@kubernetes/client-node`'s `KubeConfig` has the same shape, so
 * tests may hand either.
 */
import type { RequestOptions } from "node:https";

export interface KubeAccess {
  /** The current context's cluster; `null` when the kubeconfig names none. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Adds the TLS material and the credentials (headers, client certificate) for one request. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}
