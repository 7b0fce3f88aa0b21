import { execFileSync } from "node:child_process";
import { encodeTree } from "../git/tree-format.js";
import type { DirEntries } from "../git/tree-format.js";

/** The git CLI as an object store (real git, used where a test checks our encoding against git's). */
export class GitCliObjects {
  constructor(private readonly gitDir: string) {}

  read(oid: string): Promise<Buffer> {
    const type = execFileSync("git", ["--git-dir", this.gitDir, "cat-file", "-t", oid], {
      encoding: "utf8",
    }).trim();
    return Promise.resolve(execFileSync("git", ["--git-dir", this.gitDir, "cat-file", type, oid]));
  }

  writeTree(entries: DirEntries): Promise<string> {
    return this.write(2, encodeTree(entries));
  }

  write(type: 1 | 2 | 3, data: Buffer): Promise<string> {
    const name = type === 1 ? "commit" : type === 2 ? "tree" : "blob";
    const out = execFileSync("git", ["--git-dir", this.gitDir, "hash-object", "-t", name, "-w", "--stdin"], {
      input: data,
      encoding: "utf8",
    });
    return Promise.resolve(out.trim());
  }
}
