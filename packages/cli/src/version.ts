/** The CLI's own version, read from its package.json at run time. */
import { readFileSync } from "node:fs";

export interface VersionInfo {
  shiplog: string;
  node: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return {
    shiplog: typeof pkg.version === "string" ? pkg.version : "0.0.0",
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
}
