// Public API of @shiplog/watcher.
export {};
