/** Redis pre-flight: one PING with a deadline and no retries, so a wrong URL fails in seconds. */
import { maskUrlCredentials, redisConnectionOptions } from "@shiplog/core";
import { Redis } from "ioredis";
import { CliError, ExitCodes } from "../cli-error.js";
import { describeNetError, withTimeout } from "./kube.js";

export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis({
    ...redisConnectionOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND...) as an 'error' event and rejects connect()
  // with a generic "Connection is closed"; keep the event's error to name the real problem.
  let lastError: unknown;
  client.on("error", (err: unknown) => {
    lastError = err;
  });
  try {
    await withTimeout(client.connect(), timeoutMs, "timed out");
    await withTimeout(client.ping(), timeoutMs, "timed out");
  } catch (err) {
    throw new CliError(
      `cannot reach Redis at ${maskUrlCredentials(url)}: ${describeNetError(lastError ?? err)}`,
      ExitCodes.unavailable,
      { cause: err },
    );
  } finally {
    client.disconnect();
  }
}
