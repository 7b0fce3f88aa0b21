/**
 * Throughput of normalise + protect + serialise (`Canonicalizer.canonicalize`) on a realistic mix of
 * objects, on one core, with baselines measured in the same run on the same objects.
 *
 *   npm run bench -w @shiplog/core        (after `npx tsc -p packages/core`)
 *   node --cpu-prof dist/bench/canonical.bench.js --redact-only   (profile the redact path alone)
 */
import { performance } from "node:perf_hooks";
import { stringify as yamlStringify } from "yaml";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { createCanonicalizer } from "../canonical.js";
import { fromYaml, parseFull, toYaml } from "../canonical-yaml.js";
import { defaultConfig, type SecretMode } from "../config.js";
import type { KubeObject, ResourceType } from "../resource.js";

const T = {
  deployment: { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true },
  configmap: { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  secret: { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  service: { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true },
  widget: { group: "example.com", version: "v1", resource: "widgets", kind: "Widget", namespaced: true },
} as const satisfies Record<string, ResourceType>;

function managed(i: number) {
  return [
    {
      manager: "kubectl-client-side-apply",
      operation: "Update",
      apiVersion: "v1",
      time: "2024-05-01T10:00:00Z",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": { "f:replicas": {} } },
    },
    {
      manager: "argocd-controller",
      operation: "Apply",
      apiVersion: "v1",
      time: `2024-05-0${(i % 9) + 1}T10:00:00Z`,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": {} },
    },
    {
      manager: "kube-controller-manager",
      operation: "Update",
      subresource: "status",
      time: "2024-05-09T10:00:00Z",
      fieldsType: "FieldsV1",
      fieldsV1: {},
    },
  ];
}

function meta(name: string, i: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    namespace: `team-${i % 20}`,
    uid: `3f1c${String(i).padStart(8, "0")}-aaaa-bbbb-cccc-0123456789ab`,
    resourceVersion: String(100000 + i),
    generation: (i % 5) + 1,
    creationTimestamp: "2024-01-01T00:00:00Z",
    labels: { app: name, "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/version": `1.${i % 30}.0` },
    managedFields: managed(i),
    ...extra,
  };
}

function deployment(i: number): KubeObject {
  const spec = {
    replicas: (i % 5) + 1,
    selector: { matchLabels: { app: `web-${i}` } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: {
      metadata: {
        labels: { app: `web-${i}` },
        annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" },
      },
      spec: {
        containers: [
          {
            name: "web",
            image: `registry.example.com/shop/web:1.${i % 30}.${i % 7}`,
            args: ["--port=8080", "--log-level=info", `--shard=${i % 4}`],
            env: Array.from({ length: 8 }, (_, k) => ({ name: `ENV_${k}`, value: `value-${k}-${i}` })),
            ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
            resources: {
              limits: { cpu: "500m", memory: "512Mi" },
              requests: { cpu: "100m", memory: "128Mi" },
            },
            readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 },
          },
          {
            name: "envoy",
            image: "envoyproxy/envoy:v1.30.1",
            ports: [{ containerPort: 9901, name: "admin" }],
          },
        ],
        serviceAccountName: "web",
        terminationGracePeriodSeconds: 30,
      },
    },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(`web-${i}`, i, {
      annotations: {
        "deployment.kubernetes.io/revision": String(i % 12),
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
          apiVersion: "apps/v1",
          kind: "Deployment",
          spec,
        }),
      },
    }),
    spec,
    status: {
      replicas: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      observedGeneration: 3,
      conditions: [{ type: "Available", status: "True" }],
    },
  };
}

function configFile(lines: number, i: number): string {
  return (
    Array.from(
      { length: lines },
      (_, k) => `setting.${k}.name = value-${k}-${i} # comment about setting ${k}`,
    ).join("\n") + "\n"
  );
}

function configmap(i: number, large: boolean): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(`config-${i}`, i),
    data: large
      ? {
          "app.properties": configFile(500, i),
          "nginx.conf": configFile(200, i),
          "feature-flags.json": JSON.stringify({
            flags: Array.from({ length: 50 }, (_, k) => ({ k, on: k % 2 === 0 })),
          }),
        }
      : { LOG_LEVEL: "info", MODE: "production", TIMEOUT: "30s", "small.yaml": "a: 1\nb: 2\n" },
  };
}

function secret(i: number): KubeObject {
  const data: Record<string, string> = {};
  for (let k = 0; k < 4; k++)
    data[`key-${k}`] = Buffer.from(`s3cret-${i}-${k}-${"x".repeat(k * 10)}`).toString("base64");
  return { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: meta(`creds-${i}`, i), data };
}

function service(i: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(`svc-${i}`, i),
    spec: {
      type: "ClusterIP",
      clusterIP: `10.0.${i % 255}.${(i * 7) % 255}`,
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
      selector: { app: `web-${i}` },
    },
    status: { loadBalancer: {} },
  };
}

function widget(i: number): KubeObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: meta(`widget-${i}`, i),
    spec: {
      size: i % 10,
      password: `pw-${i}`,
      tiers: [
        { name: "gold", limits: { rps: 100 } },
        { name: "silver", limits: { rps: 10 } },
      ],
      enabled: true,
      notes: "line one\nline two\n",
    },
    status: { phase: "Ready" },
  };
}

/** Per 100 objects: 35 Deployments, 20 small + 5 large ConfigMaps, 15 Secrets, 10 Services, 15 CRs. */
function mix(n: number): Array<[ResourceType, KubeObject]> {
  const out: Array<[ResourceType, KubeObject]> = [];
  for (let i = 0; i < n; i++) {
    const r = i % 100;
    if (r < 35) out.push([T.deployment, deployment(i)]);
    else if (r < 55) out.push([T.configmap, configmap(i, false)]);
    else if (r < 60) out.push([T.configmap, configmap(i, true)]);
    else if (r < 75) out.push([T.secret, secret(i)]);
    else if (r < 85) out.push([T.service, service(i)]);
    else out.push([T.widget, widget(i)]);
  }
  return out;
}

interface Rate {
  /** objects per second of wall time */
  wall: number;
  /** objects per second of this process's CPU time (all threads): the one-core figure on a shared machine */
  cpu: number;
}

function report(label: string, r: Rate): void {
  const f = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9);
  console.log(`${label.padEnd(58)} ${f(r.cpu)} obj/CPU-s ${f(r.wall)} obj/s wall`);
}

async function measure(
  label: string,
  objs: ReadonlyArray<[ResourceType, KubeObject]>,
  fn: (t: ResourceType, o: KubeObject) => unknown,
  minMs = 3000,
): Promise<Rate> {
  for (let i = 0; i < Math.min(objs.length, 500); i++) await fn(...(objs[i] as [ResourceType, KubeObject])); // warm-up
  let count = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const [t, o] of objs) {
      const r = fn(t, o);
      if (r instanceof Promise) await r;
    }
    count += objs.length;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const rate = { wall: (count / elapsed) * 1000, cpu: count / ((cpu.user + cpu.system) / 1e6) };
  report(label, rate);
  return rate;
}

async function main(): Promise<void> {
  const objs = mix(2000);
  const bytes = objs.reduce((s, [, o]) => s + JSON.stringify(o).length, 0);
  console.log(
    `mix: ${objs.length} objects, ${(bytes / objs.length / 1024).toFixed(1)} KiB JSON each on average ` +
      `(node ${process.version}; obj/CPU-s = objects per second of CPU time, i.e. on one core)`,
  );
  const cfg = defaultConfig();
  const secrets = (mode: SecretMode, recipients: string[] = []) => ({
    ...cfg.secrets,
    mode,
    ageRecipients: recipients,
    sensitiveFields: [{ type: "widgets.example.com", pointers: ["/spec/password"] }],
  });
  const key = "benchmark-fingerprint-key-0123456789";
  const redact = createCanonicalizer({ normalize: cfg.normalize, secrets: secrets("redact"), hmacKey: key });

  if (process.argv.includes("--redact-only")) {
    // For profiling (node --cpu-prof): the redact path alone.
    await measure("canonicalize, redact mode", objs, (t, o) => redact.canonicalize(t, o), 8000);
    return;
  }
  if (process.argv.includes("--modes")) {
    // Order effects check: omit, redact, omit, redact.
    const omit = createCanonicalizer({ normalize: cfg.normalize, secrets: secrets("omit") });
    for (let i = 0; i < 2; i++) {
      await measure("canonicalize, omit mode", objs, (t, o) => omit.canonicalize(t, o));
      await measure("canonicalize, redact mode", objs, (t, o) => redact.canonicalize(t, o));
    }
    return;
  }
  const baseJson = await measure("baseline: JSON.stringify", objs, (_t, o) => JSON.stringify(o));
  const baseYaml = await measure("baseline: yaml.stringify (yaml 2.x library)", objs, (_t, o) =>
    yamlStringify(o),
  );
  const r = await measure("canonicalize, redact mode (normalise+protect+YAML+hash)", objs, (t, o) =>
    redact.canonicalize(t, o),
  );
  const omit = createCanonicalizer({ normalize: cfg.normalize, secrets: secrets("omit") });
  await measure("canonicalize, omit mode", objs, (t, o) => omit.canonicalize(t, o));

  const recipient = await identityToRecipient(await generateX25519Identity());
  const enc = createCanonicalizer({
    normalize: cfg.normalize,
    secrets: secrets("encrypt", [recipient]),
    hmacKey: key,
  });
  await measure("canonicalizeAsync, encrypt mode (whole mix)", objs, (t, o) => enc.canonicalizeAsync(t, o));
  const secretsOnly = objs.filter(([t]) => t.resource === "secrets").slice(0, 200);
  await measure("canonicalizeAsync, encrypt mode, Secrets only (sops+age)", secretsOnly, (t, o) =>
    enc.canonicalizeAsync(t, o),
  );

  // Reading recorded files back (the committer reads both sides of every update to summarize it).
  const texts = objs.map(([t, o]) => [t, redact.canonicalize(t, o)] as const);
  const files: Array<[ResourceType, KubeObject]> = texts.flatMap(([t, r]) =>
    r.skipped ? [] : [[t, { text: r.content }]],
  );
  const textOf = (o: KubeObject): string => (o as unknown as { text: string }).text;
  if (files.some(([, o]) => toYaml(fromYaml(textOf(o))) !== textOf(o)))
    throw new Error("fromYaml: no round trip");
  const readFull = await measure("baseline: read back with the yaml library (parseFull)", files, (_t, o) =>
    parseFull(textOf(o)),
  );
  const readFast = await measure("read back with fromYaml (fast reader + write-back check)", files, (_t, o) =>
    fromYaml(textOf(o)),
  );
  console.log(`fromYaml vs the yaml library: ${(readFast.cpu / readFull.cpu).toFixed(1)}x per CPU-second`);

  console.log(
    `\nredact mode per CPU-second vs JSON.stringify: ${(r.cpu / baseJson.cpu).toFixed(2)}x; ` +
      `vs yaml.stringify: ${(r.cpu / baseYaml.cpu).toFixed(1)}x; ` +
      `target 20,000 objects per CPU-second: ${r.cpu >= 20_000 ? "met" : "NOT met"}`,
  );
}

await main();
