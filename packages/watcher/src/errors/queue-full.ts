/** The enqueue buffer is full: the reflector stops reading and relists once it drains (never leaves the loop). */
export class QueueFull extends Error {
  override readonly name = "QueueFull";
}
