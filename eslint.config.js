// Type-aware lint for every workspace. Rules chosen because they catch real bugs in async pipeline
// code (floating promises, non-exhaustive switches over event kinds) -- see shared/STYLE.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
    // core is pure: it imports nothing of ours and does no I/O.
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/**/*.test.ts"],
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
