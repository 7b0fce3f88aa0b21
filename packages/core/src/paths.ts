/**
 * Repo paths of objects: `<namespace>/<type id>/<name>.yaml`, cluster-scoped objects under `_cluster`.
 *
 * Every path segment is encoded so that the mapping is reversible, collision-free (also on
 * case-insensitive file systems), traversal-safe and portable to Windows and macOS checkouts. See
 * docs/adr/0010-path-encoding.md. In short: `[a-z0-9-]` and interior dots stay as they are; every other
 * byte of the UTF-8 form (upper-case letters, `:`, `_`, `%`, a leading or trailing dot, non-ASCII, ...) is
 * written as `%XX` with upper-case hex; the first letter of a Windows reserved device name (`con`, `nul`,
 * `com1`, ...) is escaped too.
 */
import type { ResourceKey } from "./resource.js";
import { typeId } from "./resource.js";

/** Directory of cluster-scoped objects. No encoded segment starts with `_`, so it cannot clash. */
export const CLUSTER_DIR = "_cluster";

/** File extension of every object file. */
export const FILE_SUFFIX = ".yaml";

const HEX = "0123456789ABCDEF";
const SAFE = /^[a-z0-9-][a-z0-9.-]*$/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)$/;

function isSafeByte(b: number): boolean {
  // a-z, 0-9, '-', '.'
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e;
}

function escapeByte(b: number): string {
  return "%" + HEX.charAt(b >> 4) + HEX.charAt(b & 15);
}

/** Windows treats `con`, `con.txt`, `con.tar.gz` alike: the stem before the first dot counts. */
function isReservedStem(s: string): boolean {
  const dot = s.indexOf(".");
  const stem = (dot < 0 ? s : s.slice(0, dot)).toLowerCase();
  return RESERVED.test(stem);
}

/**
 * Encodes one path segment (a namespace, a type id or an object name). The empty string encodes to
 * `%` alone is impossible, so empty input is rejected: callers never have empty names.
 */
export function encodeSegment(s: string): string {
  if (s.length === 0) throw new RangeError("encodeSegment: empty segment");
  if (SAFE.test(s) && s.charCodeAt(s.length - 1) !== 0x2e && !isReservedStem(s)) return s;
  const bytes = Buffer.from(s, "utf8");
  let out = "";
  const last = bytes.length - 1;
  for (let i = 0; i <= last; i++) {
    const b = bytes[i] as number;
    if (isSafeByte(b) && !(b === 0x2e && (i === 0 || i === last))) out += String.fromCharCode(b);
    else out += escapeByte(b);
  }
  if (isReservedStem(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  return out;
}

/** Inverse of `encodeSegment`; `undefined` when `s` is not exactly what `encodeSegment` produces. */
export function decodeSegment(s: string): string | undefined {
  if (s.length === 0) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = HEX.indexOf(s.charAt(i + 1));
      const l = HEX.indexOf(s.charAt(i + 2));
      if (h < 0 || l < 0) return undefined;
      bytes.push(h * 16 + l);
      i += 2;
    } else if (isSafeByte(c)) {
      bytes.push(c);
    } else {
      return undefined;
    }
  }
  const decoded = Buffer.from(bytes).toString("utf8");
  // Canonical form only: rejects invalid UTF-8, needless escapes and lower-case hex, so that every
  // decodable path has exactly one spelling.
  return encodeSegment(decoded) === s ? decoded : undefined;
}

/** Directory of one type inside one namespace: `default/deployments.apps`, `_cluster/nodes`. */
export function typeDirOf(namespace: string, typeIdentifier: string): string {
  return `${namespace === "" ? CLUSTER_DIR : encodeSegment(namespace)}/${encodeSegment(typeIdentifier)}`;
}

/**
 * Repo path of one object: `default/deployments.apps/web.yaml`,
 * `_cluster/clusterroles.rbac.authorization.k8s.io/system%3Acontroller%3Ajob-controller.yaml`.
 */
export function pathForKey(key: Pick<ResourceKey, "group" | "resource" | "namespace" | "name">): string {
  return `${typeDirOf(key.namespace, typeId(key))}/${encodeSegment(key.name)}${FILE_SUFFIX}`;
}

/**
 * Inverse of `pathForKey`: namespace (`""` for cluster-scoped), type id and name, or `undefined` when
 * the path is not one that `pathForKey` produces (other files in the repo, tampered names).
 */
export function parsePath(path: string): { namespace: string; type: string; name: string } | undefined {
  const parts = path.split("/");
  if (parts.length !== 3) return undefined;
  const [ns, type, file] = parts as [string, string, string];
  if (!file.endsWith(FILE_SUFFIX)) return undefined;
  const namespace = ns === CLUSTER_DIR ? "" : decodeSegment(ns);
  const t = decodeSegment(type);
  const name = decodeSegment(file.slice(0, -FILE_SUFFIX.length));
  if (namespace === undefined || t === undefined || name === undefined) return undefined;
  return { namespace, type: t, name };
}
