// Public API of @shiplog/cli.
export {};
