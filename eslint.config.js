// Type-aware lint for every workspace. Rules chosen because they catch real bugs in async pipeline
// code (floating promises, non-exhaustive switches over event kinds) -- see shared/STYLE.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Names only @shiplog/core may declare (see docs/adr/0003-where-things-live.md). */
const CORE_OWNED =
  "/^(SinkTypes|SinkType|SinkConfig|SinkTarget|SinkRoutes|RouteRules|RateLimit|SecretModes|SecretMode|" +
  "Clock|Timer|systemClock|FakeClock|Logger|silentLogger|Backoff|BackoffOptions|parseRetryAfter|isRecord|" +
  "MASK|maskUrlCredentials|maskWebhookUrl|FINGERPRINTS_ANNOTATION|FINGERPRINT_PREFIX|OMITTED_VALUE|" +
  "isFingerprint|RESTORE_FIELD_MANAGER|CanonicalizeError|Canonicalizer|CanonicalResult|ConfigError|" +
  "Defaults|redisConnectionOptions|syncMessage|parseLabelSelector|matchesSelector|LabelSelector|QueueNames)$/";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "deploy/**", "scripts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/only-throw-error": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "Use an `as const` object instead of an enum." },
      ],
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    // core is pure: it imports nothing of ours and does no I/O. Its test support (`@shiplog/core/testing`,
    // never imported by product code) may run openssl and write files.
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/**/*.test.ts", "packages/core/src/testing/test-pki.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@shiplog/*"], message: "core imports nothing else of ours." },
            {
              group: ["node:fs", "node:fs/*", "node:net", "node:http", "node:https", "node:child_process"],
              message: "core does no I/O.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/watcher/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@shiplog/committer", "@shiplog/notifier", "@shiplog/cli", "**/src/**"],
              message: "the watcher talks to the committer only through the queue types in core.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/committer/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@shiplog/watcher", "@shiplog/notifier", "@shiplog/cli", "**/src/**"],
              message: "the committer talks to the watcher only through the queue types in core.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/notifier/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@shiplog/watcher", "@shiplog/committer", "@shiplog/cli", "**/src/**"],
              message: "the notifier reads published commits through the types in core.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/attribution/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "@shiplog/watcher",
                "@shiplog/committer",
                "@shiplog/notifier",
                "@shiplog/cli",
                "**/src/**",
              ],
              message: "attribution imports only core; the committer calls it, not the other way round.",
            },
          ],
        },
      ],
    },
  },
  {
    // One owner per contract (issue 11, docs/adr/0003-where-things-live.md): these names are declared
    // in core only. Everything else imports them from "@shiplog/core".
    files: ["packages/{watcher,committer,notifier,attribution,cli}/src/**/*.ts", "test/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "Use an `as const` object instead of an enum." },
        {
          selector: `:matches(ClassDeclaration, FunctionDeclaration, TSInterfaceDeclaration, TSTypeAliasDeclaration) > Identifier.id[name=${CORE_OWNED}]`,
          message: "declared in @shiplog/core: import it from there (one owner per contract).",
        },
        {
          selector: `VariableDeclarator > Identifier.id[name=${CORE_OWNED}]`,
          message: "declared in @shiplog/core: import it from there (one owner per contract).",
        },
        {
          selector: "ClassDeclaration > Identifier.id[name=/(Config|Options)Error$/]",
          message: "configuration and option errors are core's ConfigError (one owner per contract).",
        },
      ],
    },
  },
  {
    // No per-package shims of core's primitives.
    files: [
      "packages/{watcher,committer,notifier,attribution,cli}/src/**/{clock,logger,backoff,guards,mask,is-record}.ts",
    ],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "Program", message: "this primitive lives in @shiplog/core; delete the shim." },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] },
          ],
        },
      ],
    },
  },
);
