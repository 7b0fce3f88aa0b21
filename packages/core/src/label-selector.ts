/**
 * Kubernetes label selectors: equality (`a=b`, `a==b`, `a!=b`), set-based (`a in (x,y)`,
 * `a notin (x,y)`), existence (`a`, `!a`), requirements joined by commas (all must hold).
 */

export type Requirement =
  | { readonly op: "eq" | "ne"; readonly key: string; readonly value: string }
  | { readonly op: "in" | "notin"; readonly key: string; readonly values: readonly string[] }
  | { readonly op: "exists" | "absent"; readonly key: string };

export type LabelSelector = readonly Requirement[];

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, req: string): string {
  if (!KEY.test(key) || key.length > 316)
    throw new Error(`invalid label key ${JSON.stringify(key)} in "${req}"`);
  return key;
}

function checkValue(value: string, req: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new Error(`invalid label value ${JSON.stringify(value)} in "${req}"`);
  }
  return value;
}

/** Split on commas that are not inside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth < 0) throw new Error(`unbalanced ")" in label selector "${text}"`);
    } else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new Error(`unbalanced "(" in label selector "${text}"`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function parseRequirement(req: string): Requirement {
  if (req === "") throw new Error("empty requirement in label selector");
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(req);
  if (set) {
    const key = checkKey(set[1] ?? "", req);
    const values = (set[3] ?? "").split(",").map((v) => checkValue(v.trim(), req));
    if (values.length === 0 || (values.length === 1 && values[0] === "")) {
      throw new Error(`empty value set in "${req}"`);
    }
    return { op: set[2] === "in" ? "in" : "notin", key, values };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(req);
  if (eq) {
    const key = checkKey(eq[1] ?? "", req);
    const value = checkValue(eq[3] ?? "", req);
    return { op: eq[2] === "!=" ? "ne" : "eq", key, value };
  }
  if (req.startsWith("!")) return { op: "absent", key: checkKey(req.slice(1).trim(), req) };
  return { op: "exists", key: checkKey(req, req) };
}

/** Parse a selector; throws an Error naming the bad requirement. The empty string selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return splitRequirements(trimmed).map(parseRequirement);
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.op) {
      case "eq":
        return value === r.value;
      case "ne":
        return value !== r.value;
      case "in":
        return value !== undefined && r.values.includes(value);
      case "notin":
        return value === undefined || !r.values.includes(value);
      case "exists":
        return has;
      case "absent":
        return !has;
    }
  });
}
