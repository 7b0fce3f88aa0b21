/**
 * The fingerprint (HMAC) key of every mode that needs one (redact and encrypt: see core's
 * SecretModeRegistry). The CLI is the only place that reads key files; the
 * pipeline gets the key as bytes. Without a configured key, one is generated ONCE into a file outside
 * the repository (0600, in a 0700 directory) and reused on every later start, so fingerprints stay
 * stable across restarts. See docs/adr/0040-default-hmac-key.md.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { MIN_HMAC_KEY_BYTES as MIN_KEY_BYTES, type ShiplogConfig } from "@shiplog/core";
import { CliError, ExitCodes } from "../cli-error.js";

export interface HmacKey {
  /** The key bytes; never logged. */
  key: Buffer;
  /** Where it came from: `secrets.hmacKey`, a file path. */
  source: string;
  /** True if this call created the key file. */
  generated: boolean;
  /** Problems worth a warning (e.g. a group-readable key file). */
  warnings: string[];
}

/** `$XDG_STATE_HOME/shiplog/hmac.key`, else `~/.local/state/shiplog/hmac.key`. */
export function defaultHmacKeyFile(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
): string {
  const state = env["XDG_STATE_HOME"];
  const base =
    state !== undefined && state !== "" && isAbsolute(state) ? state : join(homeDir, ".local", "state");
  return join(base, "shiplog", "hmac.key");
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

export interface ResolveHmacKeyOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** Generate the default key file if it is missing. @defaultValue true */
  create?: boolean;
}

/**
 * Resolves the key from `secrets.hmacKey`, `secrets.hmacKeyFile` or the default file. Returns
 * `undefined` only when the default file is missing and `create` is false (doctor).
 */
export function resolveHmacKey(cfg: ShiplogConfig, o: ResolveHmacKeyOptions): HmacKey | undefined {
  if (cfg.secrets.hmacKey !== undefined) {
    return {
      key: Buffer.from(cfg.secrets.hmacKey, "utf8"),
      source: "secrets.hmacKey",
      generated: false,
      warnings: [],
    };
  }
  const repo = resolve(o.cwd, cfg.repo.path);
  const configured = cfg.secrets.hmacKeyFile !== undefined;
  const file = configured
    ? resolve(o.cwd, cfg.secrets.hmacKeyFile as string)
    : defaultHmacKeyFile(o.env, o.homeDir);
  if (isInside(file, repo)) {
    throw new CliError(
      `secrets.hmacKeyFile ${file} is inside the repository ${repo}; keep the key outside it`,
      ExitCodes.config,
    );
  }
  let generated = false;
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== "ENOENT" || configured) {
      const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : String(code);
      throw new CliError(`secrets.hmacKeyFile ${file} ${why}`, ExitCodes.config, { cause: err });
    }
    if (o.create === false) return undefined;
    text = generateKeyFile(file);
    generated = true;
  }
  const key = Buffer.from(text.toString("utf8").trim(), "utf8");
  if (key.length < MIN_KEY_BYTES) {
    throw new CliError(
      `secrets.hmacKeyFile ${file} holds ${key.length} bytes; the key needs at least ${MIN_KEY_BYTES}`,
      ExitCodes.config,
    );
  }
  const warnings: string[] = [];
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    warnings.push(`${file} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`);
  return { key, source: file, generated, warnings };
}

function generateKeyFile(file: string): Buffer {
  const key = Buffer.from(randomBytes(32).toString("hex"), "utf8");
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // "wx": never overwrite a key another process created meanwhile.
    writeFileSync(file, Buffer.concat([key, Buffer.from("\n")]), { flag: "wx", mode: 0o600 });
    chmodSync(file, 0o600);
    return key;
  } catch (err) {
    if ((err as { code?: unknown }).code === "EEXIST") return readFileSync(file);
    throw new CliError(`cannot create the fingerprint key file ${file}`, ExitCodes.config, { cause: err });
  }
}
