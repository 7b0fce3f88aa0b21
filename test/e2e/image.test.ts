// The container image: deploy/Dockerfile built with buildah (deploy/image/build.sh, no daemon, local
// Debian base when no registry answers), then run the way the Helm chart runs the container
// (deploy/image/run.sh): uid 65532, read-only root filesystem, writable /tmp and /var/lib/shiplog only.
// The image must then do shiplog's main job: `shiplog run` inside it records the shared test cluster
// into the repo volume. Skipped, with the reason, where buildah or root is missing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run, uniquePrefix } from "../harness/index.js";
import { startServing, type Sandbox } from "./support/cli.js";
import { useCluster } from "./support/cluster.js";
import { fileAt, git } from "./support/git.js";
import { until } from "./support/until.js";

// test/dist/e2e/image.test.js -> the repository root.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUILD = join(ROOT, "deploy", "image", "build.sh");
const RUN = join(ROOT, "deploy", "image", "run.sh");
const IMAGE = "localhost/shiplog:e2e";
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "packages", "cli", "package.json"), "utf8")) as { version: string }
).version;

function skipReason(): string | false {
  if (process.env["SHIPLOG_SKIP_IMAGE"] === "1") return "SHIPLOG_SKIP_IMAGE=1";
  if (process.getuid?.() !== 0) return "needs root (buildah with vfs storage, chroot in a mount namespace)";
  if (spawnSync("buildah", ["--version"]).status !== 0)
    return "buildah is not installed (apt-get install buildah debootstrap)";
  return false;
}

describe("container image (buildah, read-only root, uid 65532)", { skip: skipReason() }, () => {
  before(
    async () => {
      const built = await run("bash", [BUILD, IMAGE], { timeoutMs: 60 * 60_000 });
      assert.equal(built.code, 0, `deploy/image/build.sh failed:\n${built.stderr.slice(-4000)}`);
    },
    { timeout: 61 * 60_000 },
  );
  const cluster = useCluster();

  it("`shiplog version` runs as the image's entrypoint", async () => {
    const r = await run("bash", [RUN, IMAGE, "version"], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout.trim(),
      new RegExp(`^shiplog ${VERSION.replace(/\./g, "\\.")} \\(node v24\\.\\d+\\.\\d+, linux/x64\\)$`),
    );
  });

  it("runs as 65532 and can write only /tmp and /var/lib/shiplog", async () => {
    const script =
      'id -u; id -g; for d in / /app /app/packages /etc /usr/local/bin /var/lib/shiplog /tmp; do if touch "$d/.w" 2>/dev/null; then echo "$d writable"; else echo "$d read-only"; fi; done';
    const r = await run("bash", [RUN, "--entrypoint", "/bin/sh", IMAGE, "-c", script], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "65532",
      "65532",
      "/ read-only",
      "/app read-only",
      "/app/packages read-only",
      "/etc read-only",
      "/usr/local/bin read-only",
      "/var/lib/shiplog writable",
      "/tmp writable",
    ]);
  });

  it("`shiplog run` in the image records the cluster into the repo volume and stops cleanly on SIGTERM", async () => {
    const { cp, redis } = cluster;
    const ns = uniquePrefix("image-run");
    const dir = mkdtempSync(join(tmpdir(), "shiplog-image-"));
    const data = join(dir, "data");
    const kubeconfig = join(dir, "kubeconfig");
    // Everything inline: the image sees only what is mounted into it.
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "e2e",
            cluster: {
              server: cp.server,
              "certificate-authority-data": readFileSync(cp.caFile).toString("base64"),
            },
          },
        ],
        users: [{ name: "admin", user: { token: cp.token } }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
        "current-context": "e2e",
      }),
    );
    await cluster.kubectl(["create", "namespace", ns]);
    await cluster.kubectl(["-n", ns, "create", "configmap", "settings", "--from-literal=LOG_LEVEL=info"]);
    const env: Record<string, string> = {
      SHIPLOG_REDIS_URL: redis.url,
      SHIPLOG_REDIS_PREFIX: uniquePrefix("image"),
      SHIPLOG_REPO_PATH: "/var/lib/shiplog/repo",
      SHIPLOG_KUBECONFIG: "/etc/shiplog/kubeconfig",
      SHIPLOG_CLUSTER_NAME: "e2e-image",
    };
    const launcher = {
      command: "bash",
      args: [
        RUN,
        "--data",
        data,
        "-v",
        `${kubeconfig}:/etc/shiplog/kubeconfig`,
        ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
        IMAGE,
      ],
    };
    const sb: Sandbox = {
      dir,
      repo: join(data, "repo"),
      prefix: env["SHIPLOG_REDIS_PREFIX"] ?? "",
      env: process.env,
    };
    const s = await startServing(sb, ["run", "-n", ns, "--quiet-period", "1s"], 180_000, launcher);
    try {
      assert.match((await fileAt(sb.repo, `${ns}/configmaps/settings.yaml`)) ?? "", /LOG_LEVEL: info/);
      await cluster.patch(ns, "configmap/settings", { data: { LOG_LEVEL: "debug" } });
      await until("LOG_LEVEL debug on main", 60_000, async () =>
        (await fileAt(sb.repo, `${ns}/configmaps/settings.yaml`))?.includes("LOG_LEVEL: debug"),
      );
      assert.equal(await s.stop(), 0, s.logs().slice(-3000));
      const fsck = await git(sb.repo, ["fsck", "--strict"]);
      assert.equal(fsck.code, 0, fsck.stderr);
      assert.equal(statSync(join(sb.repo, "HEAD")).uid, 65532, "the repo is written by the image's user");
      assert.match(s.logs(), /shiplog running/);
    } finally {
      await s.stop().catch(() => undefined);
      await cp.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
