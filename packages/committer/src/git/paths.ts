/** Repo-relative path helpers (POSIX, no leading slash). */

export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function baseOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

export function depthOf(dir: string): number {
  if (dir === "") return 0;
  let n = 1;
  for (const ch of dir) if (ch === "/") n++;
  return n;
}

/** Why a path cannot be written into a tree, or undefined if it can. */
export function invalidPathReason(path: string): string | undefined {
  if (path === "") return "empty path";
  if (path.startsWith("/")) return "absolute path";
  if (path.includes("\0")) return "NUL byte in path";
  for (const seg of path.split("/")) {
    if (seg === "") return "empty path segment";
    if (seg === "." || seg === "..") return `path segment ${seg}`;
    if (seg.toLowerCase() === ".git") return "path segment .git";
  }
  return undefined;
}
