// Public API of @shiplog/committer.
export {};
