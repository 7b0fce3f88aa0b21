/**
 * The attribution receiver: an HTTPS server the apiserver sends identities to.
 *
 * - `POST /audit`: the audit webhook backend's `audit.k8s.io/v1` EventLists. The caller must
 *   authenticate, with the bearer token or the client certificate of the apiserver's
 *   `--audit-webhook-config-file` kubeconfig (a certificate is checked against `auth.clientCaFile`).
 * - `POST /admission`: a validating webhook's `admission.k8s.io/v1` AdmissionReviews. The apiserver
 *   presents a client certificate or token to an admission webhook only when its
 *   `--admission-control-config-file` names a kubeconfig for this webhook (`WebhookAdmission`
 *   configuration). Managed clusters (EKS, GKE, AKS) cannot set that, so by default `/admission` does
 *   not require authentication and takes any well-formed AdmissionReview from anyone who can reach the
 *   Service: such a caller can plant false identities (see docs/adr/0036-attribution-receiver.md).
 *   Restrict who reaches the Service (NetworkPolicy) or set `admissionRequiresAuth` where the
 *   apiserver can authenticate.
 * - anything else: 404.
 *
 * Per request, in this order: route (404), rate limit per endpoint and remote address (429), auth
 * (401), content-type `application/json` (400), body size (413; reading stops), JSON and shape (400),
 * store. Audit answers 503 when Redis does not take the records, so the apiserver retries the batch;
 * admission always answers `allowed: true` with the request's uid, even when storing fails: shiplog
 * never blocks the cluster. Every answer is counted in `shiplog_attribution_requests_total`. Bodies,
 * headers and tokens are never logged; a failing handler answers 500 and never crashes the process.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Clock, Logger } from "@shiplog/core";
import { optionChecks, silentLogger, systemClock } from "@shiplog/core";
import { MalformedPayloadError } from "./errors/malformed-payload-error.js";
import type { AttributionMetrics, RequestResult } from "./metrics.js";
import { createAttributionMetrics } from "./metrics.js";
import { admissionResponse, parseAdmissionReview, parseAuditEventList } from "./parse.js";
import type { BucketLimit } from "./rate-limit.js";
import { TokenBuckets } from "./rate-limit.js";
import type { IdentityRecord } from "./record.js";

/** Where records go; `IdentityStore` is one. */
export interface RecordSink {
  add(records: readonly IdentityRecord[]): Promise<void>;
}

export interface AttributionReceiverOptions {
  /** PEM files of the serving certificate and key (re-read by `reloadCertificates()`). */
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  /**
   * Which endpoints are served; a disabled one answers 404 like an unknown path.
   * @defaultValue both
   */
  readonly endpoints?: { readonly audit?: boolean; readonly admission?: boolean };
  /** At least one of the two, unless only an unauthenticated `/admission` is served. */
  readonly auth: {
    /** Accepted `Authorization: Bearer` tokens (several, to rotate). Compared in constant time. */
    readonly bearerTokens?: readonly string[];
    /** PEM CA file; a client certificate it signed authenticates the caller. */
    readonly clientCaFile?: string;
  };
  /**
   * Require the same authentication on `/admission`.
   * @defaultValue false (the apiserver often cannot authenticate to admission webhooks; see above)
   */
  readonly admissionRequiresAuth?: boolean;
  readonly store: RecordSink;
  /**
   * Largest request body; larger ones get 413 and are not read further.
   * @defaultValue 3145728 (3 MiB; the apiserver's default audit batch is at most 400 events)
   */
  readonly maxBodyBytes?: number;
  /**
   * Token buckets per endpoint and remote address.
   * @defaultValue audit `{ perSecond: 50, burst: 100 }`, admission `{ perSecond: 500, burst: 1000 }`
   */
  readonly rateLimit?: { readonly audit?: BucketLimit; readonly admission?: BucketLimit };
  /**
   * Time a request may take from its first byte to its last (slow clients are cut off).
   * @defaultValue 10000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Open connections at most (each can hold up to `maxBodyBytes` while being read).
   * @defaultValue 64
   */
  readonly maxConnections?: number;
  /** @defaultValue `createAttributionMetrics()` on a private registry */
  readonly metrics?: AttributionMetrics;
  /** @defaultValue core's `systemClock` */
  readonly clock?: Clock;
  /** @defaultValue core's `silentLogger` */
  readonly logger?: Logger;
}

/** The `endpoint` label: the two routes, and everything else. */
type Endpoint = "audit" | "admission" | "other";

const DEFAULT_LIMITS: Readonly<Record<"audit" | "admission", BucketLimit>> = {
  audit: { perSecond: 50, burst: 100 },
  admission: { perSecond: 500, burst: 1000 },
};

/** A request ended early with this status and result. */
class Refusal {
  constructor(
    readonly status: number,
    readonly result: RequestResult,
    readonly message: string,
  ) {}
}

export class AttributionReceiver {
  private readonly opts: AttributionReceiverOptions;
  private readonly tokenDigests: readonly Buffer[];
  private readonly maxBodyBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly admissionRequiresAuth: boolean;
  private readonly serves: Readonly<Record<"audit" | "admission", boolean>>;
  private readonly limits: Readonly<Record<"audit" | "admission", TokenBuckets>>;
  private readonly metrics: AttributionMetrics;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private server: Server | undefined;

  constructor(opts: AttributionReceiverOptions) {
    const check = optionChecks("attribution.receiver");
    check.nonEmpty("tls.certFile", opts.tls?.certFile);
    check.nonEmpty("tls.keyFile", opts.tls?.keyFile);
    const tokens = opts.auth?.bearerTokens ?? [];
    tokens.forEach((t, i) => check.nonEmpty(`auth.bearerTokens[${i}]`, t));
    if (opts.auth?.clientCaFile !== undefined) check.nonEmpty("auth.clientCaFile", opts.auth.clientCaFile);
    this.serves = { audit: opts.endpoints?.audit ?? true, admission: opts.endpoints?.admission ?? true };
    check.require(this.serves.audit || this.serves.admission, "endpoints", "must serve audit or admission");
    check.require(
      tokens.length > 0 ||
        opts.auth?.clientCaFile !== undefined ||
        (!this.serves.audit && !(opts.admissionRequiresAuth ?? false)),
      "auth",
      "needs bearerTokens or clientCaFile: the audit endpoint never accepts unauthenticated callers",
    );
    check.require(typeof opts.store?.add === "function", "store", "must have add(records)");
    this.opts = opts;
    this.tokenDigests = tokens.map(digest);
    this.maxBodyBytes = check.int("maxBodyBytes", opts.maxBodyBytes, 3 * 1024 * 1024, 1024, 64 * 1024 * 1024);
    this.requestTimeoutMs = check.int("requestTimeoutMs", opts.requestTimeoutMs, 10_000, 100, 600_000);
    this.maxConnections = check.int("maxConnections", opts.maxConnections, 64, 1, 100_000);
    this.admissionRequiresAuth = opts.admissionRequiresAuth ?? false;
    this.clock = opts.clock ?? systemClock;
    const limit = (name: "audit" | "admission"): TokenBuckets => {
      const l = opts.rateLimit?.[name] ?? DEFAULT_LIMITS[name];
      check.require(
        Number.isFinite(l.perSecond) && l.perSecond > 0,
        `rateLimit.${name}.perSecond`,
        "must be a number > 0",
      );
      check.int(`rateLimit.${name}.burst`, l.burst, 1, 1);
      return new TokenBuckets(l, this.clock);
    };
    this.limits = { audit: limit("audit"), admission: limit("admission") };
    this.metrics = opts.metrics ?? createAttributionMetrics();
    this.logger = opts.logger ?? silentLogger;
  }

  /** Starts serving; resolves with the bound port (`port: 0` picks a free one). */
  async listen(port: number, host: string): Promise<number> {
    if (this.server !== undefined) throw new Error("AttributionReceiver: already listening");
    const clientCa =
      this.opts.auth.clientCaFile === undefined ? undefined : await readFile(this.opts.auth.clientCaFile);
    const server = createServer({
      ...(await this.readCertificates()),
      minVersion: "TLSv1.2",
      // A client certificate is asked for and checked against the CA, but its absence is not a TLS
      // failure: a bearer token may authenticate instead, and /admission may be open. `authenticated()`
      // reads `socket.authorized`.
      ...(clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: false, ca: clientCa }),
      requestTimeout: this.requestTimeoutMs,
      headersTimeout: Math.min(this.requestTimeoutMs, 5000),
      keepAliveTimeout: 5000,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(this.requestTimeoutMs / 4))),
    });
    server.maxConnections = this.maxConnections;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    server.on("clientError", (_err, socket) => socket.destroy());
    // A failed handshake (plain HTTP, an untrusted client) only closes that connection.
    server.on("tlsClientError", (err: NodeJS.ErrnoException) =>
      this.logger.debug({ code: err.code }, "attribution receiver: TLS handshake failed"),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) =>
      this.logger.error({ err: err.message }, "attribution receiver: server error"),
    );
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Re-reads the serving certificate and key (after cert-manager renewed them). */
  async reloadCertificates(): Promise<void> {
    this.server?.setSecureContext(await this.readCertificates());
  }

  /** Stops accepting, and closes open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async readCertificates(): Promise<{ cert: Buffer; key: Buffer }> {
    const [cert, key] = await Promise.all([
      readFile(this.opts.tls.certFile),
      readFile(this.opts.tls.keyFile),
    ]);
    return { cert, key };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const routed = endpointOf(req);
    const endpoint = routed !== "other" && !this.serves[routed] ? "other" : routed;
    this.handle(endpoint, req, res)
      .catch((err: unknown) => {
        this.logger.error(
          { endpoint, err: err instanceof Error ? err.name : typeof err },
          "attribution receiver: request failed",
        );
        this.finish(res, endpoint, new Refusal(500, "error", "internal error"));
      })
      // Even a logger that throws must not become an unhandled rejection: drop the connection.
      .catch(() => res.destroy());
  }

  private async handle(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on("error", () => undefined); // an aborted upload ends in readBody; no unhandled 'error'
    if (endpoint === "other") return this.finish(res, endpoint, new Refusal(404, "not_found", "not found"));
    if (!this.limits[endpoint].take(`${req.socket.remoteAddress ?? "?"}`)) {
      return this.finish(res, endpoint, new Refusal(429, "rate_limited", "too many requests"), {
        "retry-after": "1",
      });
    }
    if ((endpoint === "audit" || this.admissionRequiresAuth) && !this.authenticated(req)) {
      return this.finish(res, endpoint, new Refusal(401, "unauthorized", "unauthorized"), {
        "www-authenticate": "Bearer",
      });
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      return this.finish(
        res,
        endpoint,
        new Refusal(400, "bad_request", "content-type must be application/json"),
      );
    }
    const body = await this.readBody(req);
    if (body instanceof Refusal) return this.finish(res, endpoint, body);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return this.finish(res, endpoint, new Refusal(400, "bad_request", "body is not JSON"));
    }
    return endpoint === "audit" ? this.audit(json, res) : this.admission(json, res);
  }

  private async audit(json: unknown, res: ServerResponse): Promise<void> {
    let records: IdentityRecord[];
    try {
      records = parseAuditEventList(json);
    } catch (err) {
      if (err instanceof MalformedPayloadError) {
        return this.finish(res, "audit", new Refusal(400, "bad_request", err.message));
      }
      throw err;
    }
    try {
      await this.opts.store.add(records);
    } catch (err) {
      this.logger.warn(
        { endpoint: "audit", records: records.length, err: err instanceof Error ? err.message : typeof err },
        "attribution receiver: storing audit records failed; the apiserver will retry",
      );
      return this.finish(res, "audit", new Refusal(503, "store_failed", "store unavailable"), {
        "retry-after": "1",
      });
    }
    if (records.length > 0) this.metrics.records.inc({ source: "audit" }, records.length);
    this.reply(res, "audit", 200, "ok", {});
  }

  private async admission(json: unknown, res: ServerResponse): Promise<void> {
    let parsed: ReturnType<typeof parseAdmissionReview>;
    try {
      parsed = parseAdmissionReview(json, this.clock.now());
    } catch (err) {
      if (err instanceof MalformedPayloadError) {
        return this.finish(res, "admission", new Refusal(400, "bad_request", err.message));
      }
      throw err;
    }
    let result: RequestResult = "ok";
    if (parsed.record !== undefined) {
      try {
        await this.opts.store.add([parsed.record]);
        this.metrics.records.inc({ source: "admission" });
      } catch (err) {
        result = "store_failed";
        this.logger.warn(
          { endpoint: "admission", err: err instanceof Error ? err.message : typeof err },
          "attribution receiver: storing an admission record failed; allowed anyway",
        );
      }
    }
    this.reply(res, "admission", 200, result, admissionResponse(parsed.uid));
  }

  /** A client certificate from the configured CA, or one of the bearer tokens. */
  private authenticated(req: IncomingMessage): boolean {
    if (this.opts.auth.clientCaFile !== undefined && (req.socket as TLSSocket).authorized) return true;
    const header = req.headers.authorization;
    if (this.tokenDigests.length === 0 || header === undefined) return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (m?.[1] === undefined) return false;
    const given = digest(m[1]);
    let ok = false;
    for (const want of this.tokenDigests) ok = timingSafeEqual(given, want) || ok; // no early exit
    return ok;
  }

  /** The body, or a 413 refusal once it grows past the limit (reading stops there). */
  private readBody(req: IncomingMessage): Promise<Buffer | Refusal> {
    const tooLarge = new Refusal(413, "too_large", `body exceeds ${this.maxBodyBytes} bytes`);
    const declared = Number(req.headers["content-length"] ?? "0");
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) return Promise.resolve(tooLarge);
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer): void => {
        size += c.length;
        if (size > this.maxBodyBytes) {
          req.off("data", onData);
          req.pause();
          chunks.length = 0;
          resolve(tooLarge);
          return;
        }
        chunks.push(c);
      };
      req.on("data", onData);
      req.once("end", () => resolve(Buffer.concat(chunks)));
      const aborted = (): void => resolve(new Refusal(400, "bad_request", "request aborted"));
      req.once("error", aborted);
      req.once("aborted", aborted);
    });
  }

  private finish(
    res: ServerResponse,
    endpoint: Endpoint,
    r: Refusal,
    headers: Record<string, string> = {},
  ): void {
    // After a refusal the rest of a request body is never read: close the connection rather than
    // leave it to be drained.
    const close: Record<string, string> = r.status >= 400 ? { connection: "close" } : {};
    this.reply(res, endpoint, r.status, r.result, { error: r.message }, { ...headers, ...close });
  }

  private reply(
    res: ServerResponse,
    endpoint: Endpoint,
    status: number,
    result: RequestResult,
    body: object,
    headers: Record<string, string> = {},
  ): void {
    this.metrics.requests.inc({ endpoint, result });
    this.logger.debug({ endpoint, status, result }, "attribution receiver: answered");
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }
}

function endpointOf(req: IncomingMessage): Endpoint {
  if (req.method !== "POST") return "other";
  // The apiserver appends `?timeout=10s` to admission webhook URLs.
  const path = (req.url ?? "").split("?")[0];
  if (path === "/audit") return "audit";
  if (path === "/admission") return "admission";
  return "other";
}

/** Equal-length digests, so comparing tokens takes the same time whatever their lengths. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
