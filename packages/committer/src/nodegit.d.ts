// Minimal local typings for the parts of nodegit 0.28.0-alpha.36 the committer uses.
// @types/nodegit targets 0.27 and does not describe the raw-odb calls we rely on.
declare module "nodegit" {
  namespace NodeGit {
    class Oid {
      static fromString(hex: string): Oid;
      tostrS(): string;
      iszero(): number;
    }
    class OdbObjectData {
      toBuffer(size: number): Buffer;
    }
    class OdbObject {
      data(): OdbObjectData;
      size(): number;
      type(): number;
    }
    class Odb {
      read(id: Oid): Promise<OdbObject>;
      /** nodegit passes `data` as a UTF-8 string: only usable for text objects (commits). */
      write(data: string, len: number, type: number): Promise<Oid>;
    }
    class Tree {
      static lookup(repo: Repository, id: Oid): Promise<Tree>;
    }
    class Treebuilder {
      static create(repo: Repository, source: Tree | null): Promise<Treebuilder>;
      insert(filename: string, id: string, filemode: number): unknown;
      remove(filename: string): unknown;
      write(): Promise<Oid>;
    }
    class Blob {
      static createFromBuffer(repo: Repository, buffer: Buffer, len: number): Promise<Oid>;
    }
    class Reference {
      static create(
        repo: Repository,
        name: string,
        id: Oid,
        force: number,
        logMessage: string,
      ): Promise<Reference>;
      static createMatching(
        repo: Repository,
        name: string,
        id: Oid,
        force: number,
        currentId: Oid,
        logMessage: string,
      ): Promise<Reference>;
      static nameToId(repo: Repository, name: string): Promise<Oid>;
      target(): Oid;
    }
    class Repository {
      static init(path: string, isBare: number): Promise<Repository>;
      static openBare(path: string): Promise<Repository>;
      static open(path: string): Promise<Repository>;
      odb(): Promise<Odb>;
      isBare(): number;
      setHead(refname: string): Promise<number>;
      path(): string;
      cleanup(): void;
    }
    class Graph {
      static descendantOf(repo: Repository, commit: Oid, ancestor: Oid): Promise<number>;
    }
    // No Remote, Credential or Cert: fetch and push run the git binary (git-transport.ts, ADR 0033),
    // whose TLS and OpenSSH verify the remote; libgit2's certificate callback could not (libgit2 #5496).
    namespace Libgit2 {
      function opts(option: number, ...values: number[]): number;
    }
  }
  export default NodeGit;
}
