/** Test-only: one job through a real BullMQ queue and worker on a given connection. */
import { Queue, Worker } from "bullmq";
import type { ConnectionOptions } from "bullmq";

/**
 * Adds one job with `data` to queue `name` under `prefix` and resolves with what a worker on the same
 * connection returned for it (its data); rejects with the worker's error or the job's failure.
 */
export async function bullmqRoundTrip(
  connection: ConnectionOptions,
  name: string,
  prefix: string,
  data: Record<string, unknown>,
): Promise<unknown> {
  const queue = new Queue(name, { connection, prefix });
  let worker: Worker | undefined;
  try {
    const done = new Promise<unknown>((resolve, reject) => {
      worker = new Worker(name, (job) => Promise.resolve(job.data as unknown), { connection, prefix });
      worker.on("completed", (_job, result) => resolve(result));
      worker.on("failed", (_job, err) => reject(err));
      worker.on("error", reject);
    });
    await queue.add("x", data);
    return await done;
  } finally {
    await worker?.close();
    await queue.close();
  }
}
