// Promise: the receiver's parsers keep exactly the identity of successful writes (create, update,
// patch, delete, deletecollection; the object or its `scale`) from audit EventLists and admission
// reviews, never any part of a request or response body, and refuse malformed bodies with a typed
// error. Pure functions; no components needed.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { MalformedPayloadError } from "./errors/malformed-payload-error.js";
import { admissionResponse, parseAdmissionReview, parseAuditEventList } from "./parse.js";
import { actingUser } from "./record.js";
import { SECRET_PLAINTEXT, admissionReview, auditEvent, eventList } from "./testkit/payloads.test.helper.js";

describe("parseAuditEventList", () => {
  it("keeps identity, verb, objectRef, the new resourceVersion and times of a successful write", () => {
    const [r, ...rest] = parseAuditEventList(
      eventList([
        auditEvent({
          verb: "update",
          code: 200,
          apiGroup: "apps",
          resource: "deployments",
          namespace: "shop",
          name: "web",
          newResourceVersion: "4711",
          auditID: "a-1",
          at: "2026-12-02T10:00:01.234567Z",
        }),
      ]),
    );
    assert.equal(rest.length, 0);
    assert.deepEqual(r, {
      source: "audit",
      username: "alice",
      groups: ["dev", "system:authenticated"],
      verb: "update",
      apiGroup: "apps",
      resource: "deployments",
      subresource: "",
      namespace: "shop",
      name: "web",
      resourceVersion: "4711",
      userAgent: "kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef",
      at: "2026-12-02T10:00:01.234Z",
      requestId: "a-1",
    });
  });

  it("never keeps a request or response body, even of a Secret at RequestResponse level", () => {
    const records = parseAuditEventList(
      eventList([
        auditEvent({ resource: "secrets", name: "db", secretBodies: true, newResourceVersion: "9" }),
      ]),
    );
    assert.equal(records.length, 1);
    const text = JSON.stringify(records);
    assert.ok(!text.includes(SECRET_PLAINTEXT), "plaintext leaked");
    assert.ok(!text.includes(Buffer.from(SECRET_PLAINTEXT).toString("base64")), "base64 value leaked");
    assert.ok(!text.includes("password"), "a body field name leaked");
    assert.equal(records[0]?.resourceVersion, "9");
  });

  it("keeps impersonation: the impersonator is the caller, the author the impersonated user", () => {
    const [r] = parseAuditEventList(
      eventList([auditEvent({ username: "admin", impersonatedUser: "carol" })]),
    );
    assert.ok(r);
    assert.equal(r.username, "admin");
    assert.equal(r.impersonatedUser, "carol");
    assert.deepEqual(actingUser(r), { user: "carol", impersonator: "admin" });
  });

  it("skips reads, other stages, failed requests and subresources other than scale", () => {
    const records = parseAuditEventList(
      eventList([
        auditEvent({ verb: "get", code: 200 }),
        auditEvent({ verb: "list", code: 200, name: "" }),
        auditEvent({ verb: "watch", code: 200, stage: "ResponseStarted" }),
        auditEvent({ stage: "RequestReceived" }),
        auditEvent({ stage: "Panic", code: 500 }),
        auditEvent({ code: 409 }),
        auditEvent({ code: 403 }),
        auditEvent({ verb: "update", code: 200, subresource: "status" }),
        auditEvent({ verb: "create", code: 201, resource: "pods", subresource: "eviction" }),
        auditEvent({
          verb: "patch",
          code: 200,
          apiGroup: "apps",
          resource: "deployments",
          subresource: "scale",
        }),
      ]),
    );
    assert.deepEqual(
      records.map((r) => [r.verb, r.resource, r.subresource]),
      [["patch", "deployments", "scale"]],
    );
  });

  it("skips non-resource requests (no objectRef)", () => {
    const ev = auditEvent({ verb: "create" });
    delete ev["objectRef"];
    assert.deepEqual(parseAuditEventList(eventList([ev])), []);
  });

  it("keeps deletecollection with name \"\" and without a resourceVersion (the list's is not an object's)", () => {
    const [r] = parseAuditEventList(
      eventList([auditEvent({ verb: "deletecollection", code: 200, name: "", newResourceVersion: "77" })]),
    );
    assert.equal(r?.verb, "deletecollection");
    assert.equal(r?.name, "");
    assert.equal(r?.resourceVersion, undefined);
  });

  it("does not take objectRef.resourceVersion (the version the request was made against) as the new one", () => {
    const ev = auditEvent({ verb: "update", code: 200 });
    (ev["objectRef"] as Record<string, unknown>)["resourceVersion"] = "100";
    assert.equal(parseAuditEventList(eventList([ev]))[0]?.resourceVersion, undefined);
  });

  it("accepts items with TypeMeta, and an empty list", () => {
    assert.equal(
      parseAuditEventList(eventList([{ kind: "Event", apiVersion: "audit.k8s.io/v1", ...auditEvent() }]))
        .length,
      1,
    );
    assert.deepEqual(parseAuditEventList(eventList([])), []);
  });

  const malformed: Array<[string, unknown, string]> = [
    ["not an object", [], "body"],
    ["wrong kind", { ...eventList([]), kind: "Event" }, "body.kind"],
    ["wrong apiVersion", { ...eventList([]), apiVersion: "audit.k8s.io/v1beta1" }, "body.apiVersion"],
    ["items not an array", { ...eventList([]), items: {} }, "body.items"],
    ["an item not an object", eventList([auditEvent(), "x"]), "items[1]"],
    ["no auditID", eventList([{ ...auditEvent(), auditID: undefined }]), "items[0].auditID"],
    ["no user", eventList([{ ...auditEvent(), user: undefined }]), "items[0].user"],
    ["empty username", eventList([{ ...auditEvent(), user: { username: "" } }]), "items[0].user.username"],
    [
      "groups not strings",
      eventList([{ ...auditEvent(), user: { username: "a", groups: [1] } }]),
      "items[0].user.groups",
    ],
    ["bad time", eventList([{ ...auditEvent(), stageTimestamp: "yesterday" }]), "items[0].stageTimestamp"],
    [
      "code not a number",
      eventList([{ ...auditEvent(), responseStatus: { code: "201" } }]),
      "items[0].responseStatus.code",
    ],
    [
      "resource missing",
      eventList([{ ...auditEvent(), objectRef: { name: "x" } }]),
      "items[0].objectRef.resource",
    ],
    ["name with a slash", eventList([auditEvent({ name: "a/b" })]), "items[0].objectRef.name"],
    ["wrong item kind", eventList([{ ...auditEvent(), kind: "Pod" }]), "items[0].kind"],
  ];
  for (const [what, body, field] of malformed) {
    it(`refuses a malformed list: ${what}`, () => {
      assert.throws(
        () => parseAuditEventList(body),
        (err: unknown) => err instanceof MalformedPayloadError && err.field === field,
      );
    });
  }

  it("names the field but never quotes a value in its error", () => {
    const ev = { ...auditEvent(), user: { username: SECRET_PLAINTEXT, groups: [SECRET_PLAINTEXT, 3] } };
    assert.throws(
      () => parseAuditEventList(eventList([ev])),
      (err: unknown) => err instanceof MalformedPayloadError && !err.message.includes(SECRET_PLAINTEXT),
    );
  });
});

describe("parseAdmissionReview", () => {
  const received = Date.parse("2026-12-02T10:00:00.000Z");

  it("keeps userInfo and the object reference of CREATE, UPDATE and DELETE, timed on arrival", () => {
    for (const [operation, verb] of [
      ["CREATE", "create"],
      ["UPDATE", "update"],
      ["DELETE", "delete"],
    ] as const) {
      const parsed = parseAdmissionReview(admissionReview({ uid: `uid-${verb}`, operation }), received);
      assert.equal(parsed.uid, `uid-${verb}`);
      assert.deepEqual(parsed.record, {
        source: "admission",
        username: "bob",
        groups: ["ops"],
        verb,
        apiGroup: "",
        resource: "secrets",
        subresource: "",
        namespace: "default",
        name: "db",
        at: "2026-12-02T10:00:00.000Z",
        requestId: `uid-${verb}`,
      });
      assert.ok(!JSON.stringify(parsed).includes(SECRET_PLAINTEXT));
    }
  });

  it("keeps scale, and answers without a record for CONNECT, dry runs and status", () => {
    const scale = parseAdmissionReview(
      admissionReview({ operation: "UPDATE", group: "apps", resource: "deployments", subResource: "scale" }),
      received,
    );
    assert.equal(scale.record?.subresource, "scale");
    for (const review of [
      admissionReview({ operation: "CONNECT", resource: "pods", subResource: "exec" }),
      admissionReview({ dryRun: true }),
      admissionReview({ operation: "UPDATE", subResource: "status" }),
    ]) {
      const parsed = parseAdmissionReview(review, received);
      assert.equal(parsed.record, undefined);
      assert.equal(parsed.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    }
  });

  it("answers allowed with the uid echoed", () => {
    assert.deepEqual(admissionResponse("u-9"), {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u-9", allowed: true },
    });
  });

  const malformed: Array<[string, unknown, string]> = [
    ["an audit list", eventList([]), "body.kind"],
    ["v1beta1", { ...admissionReview(), apiVersion: "admission.k8s.io/v1beta1" }, "body.apiVersion"],
    ["no request", { ...admissionReview(), request: undefined }, "request"],
    [
      "no uid",
      { ...admissionReview(), request: { ...(admissionReview()["request"] as object), uid: "" } },
      "request.uid",
    ],
    [
      "unknown operation",
      { ...admissionReview(), request: { ...(admissionReview()["request"] as object), operation: "PATCH" } },
      "request.operation",
    ],
    [
      "no userInfo",
      { ...admissionReview(), request: { ...(admissionReview()["request"] as object), userInfo: undefined } },
      "request.userInfo",
    ],
    [
      "dryRun not a boolean",
      { ...admissionReview(), request: { ...(admissionReview()["request"] as object), dryRun: "false" } },
      "request.dryRun",
    ],
  ];
  for (const [what, body, field] of malformed) {
    it(`refuses a malformed review: ${what}`, () => {
      assert.throws(
        () => parseAdmissionReview(body, received),
        (err: unknown) => err instanceof MalformedPayloadError && err.field === field,
      );
    });
  }
});
