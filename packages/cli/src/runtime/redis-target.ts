/**
 * The CLI's side of core's `redisConnectionOptions`: it reads the files the `redis` section names
 * (ACL user and password, CA, client certificate; relative paths against the working directory) and
 * builds the one set of connection options every client gets, with a printable label.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  describeRedisTarget,
  maskUrlCredentials,
  redisConnectionOptions,
  type RedisConfig,
  type RedisConnectionOptions,
} from "@shiplog/core";

export interface RedisTarget {
  readonly connection: RedisConnectionOptions;
  /** Where the connection goes, safe to print (no password). */
  readonly label: string;
  /** The config it came from; unset for a bare URL. */
  readonly config?: RedisConfig;
}

/** Throws core's `ConfigError` naming the key of a file that cannot be read or is not what it says. */
export function redisTarget(redis: RedisConfig, cwd: string): RedisTarget {
  return {
    connection: redisConnectionOptions(redis, (path) => readFileSync(resolve(cwd, path))),
    label: describeRedisTarget(redis),
    config: redis,
  };
}

/** A target from a bare `redis://` or `rediss://` URL (tests, tools). */
export function redisUrlTarget(url: string): RedisTarget {
  return { connection: redisConnectionOptions(url), label: maskUrlCredentials(url) };
}
