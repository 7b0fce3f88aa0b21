/** Resource types the tests of every package use, declared once. */
import type { ResourceType } from "../resource.js";

export const TestTypes = {
  configmaps: { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  secrets: { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  /** A namespaced custom resource type. */
  widgets: { group: "example.com", version: "v1", resource: "widgets", kind: "Widget", namespaced: true },
} as const satisfies Record<string, ResourceType>;
