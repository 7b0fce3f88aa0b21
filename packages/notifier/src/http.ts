/**
 * The one place HTTP outcomes become our errors. 2xx is success; 408, 425, 429 and 5xx and network
 * failures are retryable (with the receiver's `Retry-After` when it gave one); any other status means
 * the request itself is wrong and will not get better by trying again.
 */
import { Backoff, parseRetryAfter } from "@shiplog/core";
import { DeliveryError } from "./errors/delivery-error.js";

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export interface PostArgs {
  readonly fetch: typeof fetch;
  readonly sink: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly nowMs: () => number;
}

/** POST a JSON body; resolves on 2xx, throws `DeliveryError` otherwise. */
export async function postJson(args: PostArgs): Promise<{ status: number }> {
  let res: Response;
  try {
    res = await args.fetch(args.url, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "shiplog-notifier",
        ...args.headers,
      },
      body: args.body,
      signal: AbortSignal.timeout(args.timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    const e = err as Error;
    const what = e.name === "TimeoutError" ? `no answer within ${args.timeoutMs} ms` : "request failed";
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === "string" ? ` (${cause.code})` : "";
    throw new DeliveryError(args.sink, `${what}${code}`, { retryable: true }, { cause: err });
  }
  // Drain the body so the connection can be reused; its text may help an operator (never the URL).
  let detail: string;
  try {
    detail = (await res.text()).slice(0, 200);
  } catch (err) {
    detail = `(body unreadable: ${(err as Error).message})`;
  }
  if (res.ok) return { status: res.status };
  const retryable = isRetryableStatus(res.status);
  const retryAfterMs = retryable ? parseRetryAfter(res.headers.get("retry-after"), args.nowMs()) : undefined;
  const details: { status: number; retryable: boolean; retryAfterMs?: number } = {
    status: res.status,
    retryable,
  };
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  throw new DeliveryError(
    args.sink,
    `HTTP ${res.status}${detail === "" ? "" : `: ${detail.replace(/\s+/g, " ")}`}`,
    details,
  );
}

/**
 * Delay before retry number `attempt` (1 = first retry): the receiver's `Retry-After` when given, else
 * core's `Backoff` doubling from `baseMs` without jitter; always capped at `maxMs`. BullMQ keeps the
 * attempt count in the job, so the backoff is replayed for that many failures rather than kept per
 * process.
 */
export function retryDelay(attempt: number, err: unknown, baseMs: number, maxMs: number): number {
  if (err instanceof DeliveryError && err.retryAfterMs !== undefined)
    return Math.min(err.retryAfterMs, maxMs);
  // A cap below the base caps the first delay too.
  const backoff = new Backoff({ initialMs: Math.min(baseMs, maxMs), maxMs, jitter: 0 });
  let delay = backoff.next(0);
  for (let i = 1; i < attempt; i++) delay = backoff.next(0);
  return delay;
}
