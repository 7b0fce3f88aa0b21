// Public API of @shiplog/notifier.
export {};
