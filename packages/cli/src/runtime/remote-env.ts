/**
 * Environment for the git CLI to reach the configured remote with the configured credentials
 * (doctor's `git ls-remote`). Tokens go through GIT_CONFIG_* variables, never argv, so they do not
 * show in `ps`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ShiplogConfig } from "@shiplog/core";
import { CliError, ExitCodes } from "../cli-error.js";

type Remote = NonNullable<ShiplogConfig["repo"]["remote"]>;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function remoteGitEnv(remote: Remote, cwd: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (remote.sshKeyFile !== undefined) {
    const parts = [
      "ssh",
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      shellQuote(resolve(cwd, remote.sshKeyFile)),
    ];
    if (remote.sshKnownHostsFile !== undefined) {
      parts.push("-o", `UserKnownHostsFile=${shellQuote(resolve(cwd, remote.sshKnownHostsFile))}`);
    }
    // The same host-key rule as the committer's pushes: unknown keys are refused unless opted out.
    parts.push("-o", `StrictHostKeyChecking=${remote.insecureAcceptUnknownHostKey ? "no" : "yes"}`);
    env["GIT_SSH_COMMAND"] = parts.join(" ");
  }
  if (remote.caFile !== undefined) env["GIT_SSL_CAINFO"] = resolve(cwd, remote.caFile);
  if (remote.tokenFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(resolve(cwd, remote.tokenFile), "utf8").trim();
    } catch (err) {
      throw new CliError(`repo.remote.tokenFile ${remote.tokenFile} is not readable`, ExitCodes.config, {
        cause: err,
      });
    }
    const basic = Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
    env["GIT_CONFIG_COUNT"] = "1";
    env["GIT_CONFIG_KEY_0"] = "http.extraHeader";
    env["GIT_CONFIG_VALUE_0"] = `Authorization: Basic ${basic}`;
  }
  return env;
}
