/**
 * Everything the commands take from the process, injected by `main.ts` (the only module that touches
 * `process`), so that commands run in tests without a child process.
 */
export interface OutputStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type SignalName = "SIGTERM" | "SIGINT" | "SIGHUP";

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Subscribes to a signal; returns the unsubscribe function. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  /** Home directory, for the default key location. */
  readonly homeDir: string;
}
