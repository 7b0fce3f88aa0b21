/**
 * From what the apiserver sends to the receiver to `IdentityRecord`s: an `audit.k8s.io/v1` EventList
 * (audit webhook backend) or an `admission.k8s.io/v1` AdmissionReview (validating webhook).
 *
 * Only identity, verb, object reference, times and (audit) `responseObject.metadata.resourceVersion`
 * are read; request and response bodies are never copied. The shape is checked strictly: a body that
 * is not what the apiserver sends throws `MalformedPayloadError` (the receiver's 400). Well-formed
 * events that do not describe a successful write (reads, other stages, failures, `status`) are skipped.
 */
import { isRecord } from "@shiplog/core";
import { MalformedPayloadError } from "./errors/malformed-payload-error.js";
import type { IdentityRecord, IdentityVerb } from "./record.js";

const AUDIT_API_VERSION = "audit.k8s.io/v1";
const ADMISSION_API_VERSION = "admission.k8s.io/v1";

/** Audit verbs that change an object; others (get, list, watch, ...) are skipped. */
const WRITE_VERBS: ReadonlySet<string> = new Set<IdentityVerb>([
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
]);

/** Admission operations we record; CONNECT (exec, port-forward, proxy) is skipped. */
const ADMISSION_VERBS: Readonly<Record<string, IdentityVerb>> = {
  CREATE: "create",
  UPDATE: "update",
  DELETE: "delete",
};
const ADMISSION_OPERATIONS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

/** The subresources whose writes change what shiplog records: the object itself and `scale`. */
const KEPT_SUBRESOURCES: ReadonlySet<string> = new Set(["", "scale"]);

/** Longest string kept from any field; Kubernetes names are at most 253 characters. */
const MAX_FIELD = 1024;
const MAX_GROUPS = 256;

/** What an AdmissionReview asked and what the receiver must answer with. */
export interface ParsedAdmission {
  /** `request.uid`, echoed in the response. */
  readonly uid: string;
  /** The record, or undefined when the request is not one we keep (dry run, CONNECT, status, ...). */
  readonly record: IdentityRecord | undefined;
}

/** Every kept record of an audit EventList, in the list's order. */
export function parseAuditEventList(body: unknown): IdentityRecord[] {
  const list = object(body, "body");
  expectEqual(list, "kind", "EventList", "body");
  expectEqual(list, "apiVersion", AUDIT_API_VERSION, "body");
  const items = list["items"];
  if (!Array.isArray(items)) throw new MalformedPayloadError("body.items", "must be an array");
  const out: IdentityRecord[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = auditRecord(items[i], `items[${i}]`);
    if (r !== undefined) out.push(r);
  }
  return out;
}

function auditRecord(v: unknown, at: string): IdentityRecord | undefined {
  const ev = object(v, at);
  // Items of a webhook EventList usually carry no TypeMeta; if they do it must be right.
  optionalEqual(ev, "kind", "Event", at);
  optionalEqual(ev, "apiVersion", AUDIT_API_VERSION, at);
  const auditId = requiredString(ev, "auditID", at);
  const stage = requiredString(ev, "stage", at);
  const verb = requiredString(ev, "verb", at);
  const user = object(ev["user"], `${at}.user`);
  const received = timestamp(ev, "requestReceivedTimestamp", at, true);
  const staged = timestamp(ev, "stageTimestamp", at, false);
  const objectRef = ev["objectRef"] === undefined ? undefined : object(ev["objectRef"], `${at}.objectRef`);
  const status =
    ev["responseStatus"] === undefined ? undefined : object(ev["responseStatus"], `${at}.responseStatus`);
  const code = status === undefined ? undefined : optionalInteger(status, "code", `${at}.responseStatus`);

  if (stage !== "ResponseComplete") return undefined;
  if (!WRITE_VERBS.has(verb)) return undefined;
  if (objectRef === undefined) return undefined; // a non-resource URL
  if (code === undefined || code < 200 || code > 299) return undefined;

  const ref = `${at}.objectRef`;
  const subresource = optionalString(objectRef, "subresource", ref) ?? "";
  if (!KEPT_SUBRESOURCES.has(subresource)) return undefined;
  const resource = segment(requiredString(objectRef, "resource", ref), `${ref}.resource`);
  const apiGroup = segment(optionalString(objectRef, "apiGroup", ref) ?? "", `${ref}.apiGroup`);
  const namespace = segment(optionalString(objectRef, "namespace", ref) ?? "", `${ref}.namespace`);
  const name =
    verb === "deletecollection" ? "" : segment(optionalString(objectRef, "name", ref) ?? "", `${ref}.name`);

  const impersonated =
    ev["impersonatedUser"] === undefined || ev["impersonatedUser"] === null
      ? undefined
      : object(ev["impersonatedUser"], `${at}.impersonatedUser`);
  const userAgent = optionalString(ev, "userAgent", at);
  const resourceVersion = verb === "deletecollection" ? undefined : newResourceVersion(ev, at);
  return {
    source: "audit",
    username: username(user, `${at}.user`),
    groups: groups(user, `${at}.user`),
    ...(impersonated === undefined
      ? {}
      : { impersonatedUser: username(impersonated, `${at}.impersonatedUser`) }),
    verb: verb as IdentityVerb,
    apiGroup,
    resource,
    subresource,
    namespace,
    name,
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    ...(userAgent === undefined ? {} : { userAgent: bounded(userAgent) }),
    at: new Date(staged ?? received ?? 0).toISOString(),
    requestId: bounded(auditId),
  };
}

/**
 * `responseObject.metadata.resourceVersion`: at level RequestResponse the object as written, so its
 * exact new resourceVersion. Nothing else of the response object is read. (`objectRef.resourceVersion`
 * is the version the request was made against, not the new one, so it is not used.)
 */
function newResourceVersion(ev: Record<string, unknown>, at: string): string | undefined {
  const resp = ev["responseObject"];
  if (resp === undefined || resp === null) return undefined;
  if (!isRecord(resp)) throw new MalformedPayloadError(`${at}.responseObject`, "must be an object");
  if (resp["kind"] === "Status") return undefined;
  const meta = resp["metadata"];
  if (meta === undefined) return undefined;
  if (!isRecord(meta)) throw new MalformedPayloadError(`${at}.responseObject.metadata`, "must be an object");
  const rv = optionalString(meta, "resourceVersion", `${at}.responseObject.metadata`);
  return rv === undefined || rv === "" ? undefined : bounded(rv);
}

/** An AdmissionReview request: its uid, and the record when the request is one we keep. */
export function parseAdmissionReview(body: unknown, receivedAt: number): ParsedAdmission {
  const review = object(body, "body");
  expectEqual(review, "kind", "AdmissionReview", "body");
  expectEqual(review, "apiVersion", ADMISSION_API_VERSION, "body");
  const at = "request";
  const req = object(review["request"], at);
  const uid = requiredString(req, "uid", at);
  if (uid.length > MAX_FIELD) throw new MalformedPayloadError(`${at}.uid`, "is too long");
  const operation = requiredString(req, "operation", at);
  if (!ADMISSION_OPERATIONS.has(operation))
    throw new MalformedPayloadError(`${at}.operation`, "must be CREATE, UPDATE, DELETE or CONNECT");
  const resourceRef = object(req["resource"], `${at}.resource`);
  const userInfo = object(req["userInfo"], `${at}.userInfo`);
  const user = username(userInfo, `${at}.userInfo`);
  const userGroups = groups(userInfo, `${at}.userInfo`);
  const dryRun = req["dryRun"];
  if (dryRun !== undefined && typeof dryRun !== "boolean")
    throw new MalformedPayloadError(`${at}.dryRun`, "must be a boolean");
  const subresource = optionalString(req, "subResource", at) ?? "";
  const resource = segment(
    requiredString(resourceRef, "resource", `${at}.resource`),
    `${at}.resource.resource`,
  );
  const apiGroup = segment(
    optionalString(resourceRef, "group", `${at}.resource`) ?? "",
    `${at}.resource.group`,
  );
  const namespace = segment(optionalString(req, "namespace", at) ?? "", `${at}.namespace`);
  const name = segment(optionalString(req, "name", at) ?? "", `${at}.name`);

  const verb = ADMISSION_VERBS[operation];
  if (verb === undefined || dryRun === true || !KEPT_SUBRESOURCES.has(subresource)) {
    return { uid, record: undefined };
  }
  if (!Number.isFinite(receivedAt))
    throw new TypeError("parseAdmissionReview: receivedAt must be a time in ms");
  return {
    uid,
    record: {
      source: "admission",
      username: user,
      groups: userGroups,
      verb,
      apiGroup,
      resource,
      subresource,
      namespace,
      name,
      at: new Date(receivedAt).toISOString(),
      requestId: uid,
    },
  };
}

/** The AdmissionReview v1 response: always allowed (shiplog observes, it never blocks the cluster). */
export function admissionResponse(uid: string): {
  apiVersion: string;
  kind: "AdmissionReview";
  response: { uid: string; allowed: true };
} {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response: { uid, allowed: true } };
}

// --- shape checks -------------------------------------------------------------------------------

function object(v: unknown, at: string): Record<string, unknown> {
  if (!isRecord(v)) throw new MalformedPayloadError(at, "must be an object");
  return v;
}

function expectEqual(o: Record<string, unknown>, key: string, want: string, at: string): void {
  if (o[key] !== want) throw new MalformedPayloadError(`${at}.${key}`, `must be "${want}"`);
}

function optionalEqual(o: Record<string, unknown>, key: string, want: string, at: string): void {
  if (o[key] !== undefined && o[key] !== "" && o[key] !== want)
    throw new MalformedPayloadError(`${at}.${key}`, `must be "${want}" when present`);
}

function requiredString(o: Record<string, unknown>, key: string, at: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "")
    throw new MalformedPayloadError(`${at}.${key}`, "must be a non-empty string");
  return v;
}

function optionalString(o: Record<string, unknown>, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new MalformedPayloadError(`${at}.${key}`, "must be a string");
  return v;
}

function optionalInteger(o: Record<string, unknown>, key: string, at: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new MalformedPayloadError(`${at}.${key}`, "must be an integer");
  return v;
}

/** An RFC 3339 time in ms; `required` only says whether absence is an error. */
function timestamp(
  o: Record<string, unknown>,
  key: string,
  at: string,
  required: boolean,
): number | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string") throw new MalformedPayloadError(`${at}.${key}`, "must be an RFC 3339 time");
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new MalformedPayloadError(`${at}.${key}`, "must be an RFC 3339 time");
  return ms;
}

function username(o: Record<string, unknown>, at: string): string {
  const u = requiredString(o, "username", at);
  if (u.length > MAX_FIELD) throw new MalformedPayloadError(`${at}.username`, "is too long");
  return u;
}

function groups(o: Record<string, unknown>, at: string): string[] {
  const v = o["groups"];
  if (v === undefined || v === null) return [];
  if (
    !Array.isArray(v) ||
    v.length > MAX_GROUPS ||
    !v.every((g) => typeof g === "string" && g.length <= MAX_FIELD)
  )
    throw new MalformedPayloadError(`${at}.groups`, `must be at most ${MAX_GROUPS} strings`);
  return v as string[];
}

/** A piece of an object key: no "/" (Kubernetes forbids it in names) and bounded in length. */
function segment(v: string, at: string): string {
  if (v.includes("/")) throw new MalformedPayloadError(at, 'must not contain "/"');
  if (v.length > MAX_FIELD) throw new MalformedPayloadError(at, "is too long");
  return v;
}

function bounded(v: string): string {
  return v.length > MAX_FIELD ? v.slice(0, MAX_FIELD) : v;
}
