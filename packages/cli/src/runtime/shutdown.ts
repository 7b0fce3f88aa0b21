/**
 * Bounded shutdown on SIGTERM/SIGINT: stop taking work, let each stage finish (the committer commits
 * its open window and acknowledges it), and resolve. If the stages take longer than `timeoutMs`, the
 * returned promise rejects so that the process exits non-zero instead of hanging.
 */
import { CliError, ExitCodes } from "../cli-error.js";
import type { CliIo, SignalName } from "../cli-io.js";
import type { Logger } from "@shiplog/core";

export interface ShutdownOptions {
  io: Pick<CliIo, "onSignal">;
  logger: Logger;
  /** @defaultValue 30000 */
  timeoutMs?: number;
}

/** Resolves with the signal once SIGTERM or SIGINT arrives. */
export function waitForSignal(io: Pick<CliIo, "onSignal">): {
  signal: Promise<SignalName>;
  dispose: () => void;
} {
  const offs: Array<() => void> = [];
  const signal = new Promise<SignalName>((resolve) => {
    for (const s of ["SIGTERM", "SIGINT"] as const) offs.push(io.onSignal(s, () => resolve(s)));
  });
  return { signal, dispose: () => offs.forEach((off) => off()) };
}

/** Runs `steps` in order within `timeoutMs` overall. A failing step is logged and the rest still run. */
export async function boundedShutdown(
  steps: ReadonlyArray<readonly [name: string, fn: () => Promise<void>]>,
  opts: ShutdownOptions,
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`shutdown did not finish within ${timeoutMs}ms`, ExitCodes.failure)),
      timeoutMs,
    );
  });
  let failed = 0;
  const work = (async () => {
    for (const [name, fn] of steps) {
      try {
        await fn();
        opts.logger.info({ step: name, ms: Date.now() - started }, "stopped");
      } catch (err) {
        failed++;
        opts.logger.error({ err, step: name }, "stopping failed");
      }
    }
  })();
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (failed > 0)
    throw new CliError(`${failed} component(s) failed to stop cleanly (see the log)`, ExitCodes.failure);
}
