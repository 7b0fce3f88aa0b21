import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MASK, maskUrlCredentials } from "@shiplog/core";
import type { ResolvedRemote } from "./options.js";

/** What a `git push` or `git fetch` ended with; `output` is already scrubbed of credentials. */
export interface GitRunResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Answers git's username and password prompts from environment variables, so no secret is in argv. */
const ASKPASS = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$SHIPLOG_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SHIPLOG_GIT_TOKEN" ;;
esac
`;

/** True for `ssh://…` and scp-like `user@host:path` remotes. */
export function isSshUrl(url: string): boolean {
  if (url.startsWith("ssh://")) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  return /^(?:[^@/]+@)?[^/:]+:(?!\/\/)/.test(url) && !/^[A-Za-z]:[\\/]/.test(url);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Fetch and push through the `git` binary (no shell): TLS is verified by git's TLS stack against the
 * system trust store or `caFile`; SSH is OpenSSH, which checks the host key on the connection that
 * carries the push, against `knownHostsFile`, and refuses unknown keys unless
 * `insecureAcceptUnknownHostKey`. A token reaches git only through `GIT_ASKPASS` (a private script that
 * echoes an environment variable), never argv; every output is scrubbed of it before it is returned.
 */
export class GitTransport {
  private askpassDir: string | undefined;

  constructor(
    private readonly remote: ResolvedRemote,
    private readonly gitDir: string,
  ) {}

  /** `git push --porcelain <url> <refspecs…>`, never forced. */
  push(refspecs: readonly string[]): Promise<GitRunResult> {
    return this.run(["push", "--porcelain", "--no-verify", this.remote.url, ...refspecs]);
  }

  /** `git fetch --no-tags <url> <refspecs…>`. */
  fetch(refspecs: readonly string[]): Promise<GitRunResult> {
    return this.run(["fetch", "--no-tags", "--no-write-fetch-head", this.remote.url, ...refspecs]);
  }

  /** Removes the askpass script. */
  close(): void {
    if (this.askpassDir !== undefined) rmSync(this.askpassDir, { recursive: true, force: true });
    this.askpassDir = undefined;
  }

  /** Replaces the token and URL credentials in text that git printed. */
  scrub(text: string): string {
    let out = text.split(this.remote.url).join(maskUrlCredentials(this.remote.url));
    const token = this.remote.token;
    if (token !== undefined && token !== "") out = out.split(token).join(MASK);
    return out.replace(/(\/\/[^/@\s:]+:)[^/@\s]+@/g, `$1${MASK}@`);
  }

  private run(args: readonly string[]): Promise<GitRunResult> {
    const argv = [
      "-c",
      "http.sslVerify=true",
      "-c",
      "credential.helper=",
      "-c",
      "core.askPass=",
      "--git-dir",
      this.gitDir,
      ...args,
    ];
    const env = this.env();
    return new Promise((resolve) => {
      execFile(
        "git",
        argv,
        { env, timeout: this.remote.timeoutMs, maxBuffer: 1 << 24, encoding: "utf8" },
        (err, stdout, stderr) => {
          const output = this.scrub(`${stdout}${stderr}`.trim());
          if (err === null) return resolve({ ok: true, output });
          const why = err.killed ? `timed out after ${this.remote.timeoutMs} ms` : `exit ${String(err.code)}`;
          resolve({ ok: false, output: output === "" ? why : `${output} (${why})` });
        },
      );
    });
  }

  private env(): NodeJS.ProcessEnv {
    const r = this.remote;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GIT_TERMINAL_PROMPT: "0",
      LC_ALL: "C",
      LANG: "C",
    };
    delete env["GIT_ASKPASS"];
    delete env["SSH_ASKPASS"];
    delete env["GIT_SSL_NO_VERIFY"];
    delete env["GIT_SSL_CAINFO"];
    delete env["GIT_SSL_CAPATH"];
    if (r.caFile !== undefined) env["GIT_SSL_CAINFO"] = r.caFile;
    if (r.token !== undefined) {
      env["GIT_ASKPASS"] = this.askpass();
      env["SHIPLOG_GIT_USERNAME"] = r.tokenUser ?? "x-access-token";
      env["SHIPLOG_GIT_TOKEN"] = r.token;
    }
    if (isSshUrl(r.url)) env["GIT_SSH_COMMAND"] = this.sshCommand();
    return env;
  }

  private sshCommand(): string {
    const r = this.remote;
    const parts = ["ssh", "-o", "BatchMode=yes"];
    if (r.sshKeyFile !== undefined) parts.push("-i", shellQuote(r.sshKeyFile), "-o", "IdentitiesOnly=yes");
    if (r.insecureAcceptUnknownHostKey) {
      parts.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
    } else {
      if (r.knownHostsFile !== undefined)
        parts.push(
          "-o",
          `UserKnownHostsFile=${shellQuote(r.knownHostsFile)}`,
          "-o",
          "GlobalKnownHostsFile=/dev/null",
        );
      parts.push("-o", "StrictHostKeyChecking=yes");
    }
    return parts.join(" ");
  }

  /** The askpass script, in a directory of its own (mode 0700), written once. */
  private askpass(): string {
    this.askpassDir ??= mkdtempSync(join(tmpdir(), "shiplog-askpass-"));
    const file = join(this.askpassDir, "askpass.sh");
    writeFileSync(file, ASKPASS, { mode: 0o700 });
    chmodSync(file, 0o700);
    return file;
  }
}
