// Test support of @shiplog/core, for the tests of every package: import from "@shiplog/core/testing".
export { FakeClock } from "./fake-clock.js";
export { TestTypes } from "./resource-types.js";
export { CLIENT_EXTENSIONS, newTestCa, newTestLeaf } from "./test-pki.js";
export type { CertFiles } from "./test-pki.js";
