/**
 * The fingerprint a watcher's resume points are valid under (ADR 0038): a resumed watch sends only
 * what changes from then on, so a restart may resume only if the files already written would be
 * written the same way. Everything that decides which objects are recorded and how goes in: the
 * selection (types the user may not list included), the label selector, normalisation, the secret
 * settings and shiplog's version. The fingerprint key goes in only as an HMAC of a fixed label, so the
 * stored scope says nothing about the key.
 */
import { createHash, createHmac } from "node:crypto";
import type { ShiplogConfig } from "@shiplog/core";
import { versionInfo } from "../version.js";

export function resumeScope(
  config: ShiplogConfig,
  selection: { include: ShiplogConfig["watch"]["include"]; exclude: ShiplogConfig["watch"]["exclude"] },
  hmacKey: Buffer | undefined,
): string {
  const { hmacKey: _inline, hmacKeyFile: _file, ...secrets } = config.secrets;
  const scope = {
    shiplog: versionInfo().shiplog,
    include: selection.include,
    exclude: selection.exclude,
    labelSelector: config.watch.labelSelector,
    normalize: config.normalize,
    secrets,
    key:
      hmacKey !== undefined
        ? createHmac("sha256", hmacKey).update("shiplog watch resume scope").digest("hex")
        : "",
  };
  return createHash("sha256").update(JSON.stringify(scope)).digest("hex").slice(0, 32);
}
