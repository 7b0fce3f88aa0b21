import { randomBytes } from "node:crypto";

/** A key/queue prefix no other test uses: `t-<label>-<8 hex>` (label reduced to [a-z0-9-]). */
export function uniquePrefix(label: string): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `t-${clean || "x"}-${randomBytes(4).toString("hex")}`;
}
