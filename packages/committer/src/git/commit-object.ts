/** Encoding of git commit objects (written raw, so that no commit or tree needs to be looked up). */

export interface Signature {
  readonly name: string;
  readonly email: string;
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
}

export interface CommitFields {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: Signature;
  readonly committer: Signature;
  readonly message: string;
}

/** Git forbids `<`, `>` and newlines in identities; replace them rather than fail. */
function clean(s: string): string {
  const out = s.replace(/[<>\n\r\0]/g, "_").trim();
  return out === "" ? "unknown" : out;
}

function signatureLine(role: string, sig: Signature): string {
  return `${role} ${clean(sig.name)} <${clean(sig.email)}> ${Math.floor(sig.timeMs / 1000)} +0000`;
}

export function encodeCommit(c: CommitFields): Buffer {
  const lines = [`tree ${c.tree}`];
  for (const p of c.parents) lines.push(`parent ${p}`);
  lines.push(signatureLine("author", c.author), signatureLine("committer", c.committer));
  const message = c.message.endsWith("\n") ? c.message : `${c.message}\n`;
  return Buffer.from(`${lines.join("\n")}\n\n${message}`, "utf8");
}

/** The tree id of a raw commit object. */
export function treeOfCommit(raw: Buffer): string {
  const m = /^tree ([0-9a-f]{40})\n/.exec(raw.toString("latin1", 0, 46));
  if (!m?.[1]) throw new Error("malformed commit object: no tree line");
  return m[1];
}
