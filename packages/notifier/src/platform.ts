/** What every platform formatter returns: a JSON body and whether anything had to be cut. */
import type { Message, RenderedCommit, RenderedDigest } from "./render.js";

export interface Formatted {
  readonly body: unknown;
  readonly truncated: boolean;
}

/** A platform's formatter, from its layout of a single commit and of a digest. */
export function platformFormatter(layouts: {
  commit(c: RenderedCommit): Formatted;
  digest(d: RenderedDigest): Formatted;
}): (msg: Message) => Formatted {
  return (msg) => {
    switch (msg.kind) {
      case "commit":
        return layouts.commit(msg.commit);
      case "digest":
        return layouts.digest(msg.digest);
    }
  };
}
