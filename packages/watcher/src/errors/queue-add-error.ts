/** Adding a batch of messages to the BullMQ queue failed; the batch stays buffered and is retried. */
export class QueueAddError extends Error {
  override readonly name = "QueueAddError";
  constructor(
    message: string,
    readonly batchSize: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
