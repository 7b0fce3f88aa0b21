/**
 * Masking of credentials before anything is printed, logged or exported as a metric label. One mask
 * string for the whole product so that a reader (and a scanning test) recognises it.
 */
export const MASK = "*****";

/**
 * `u` with its password (or, without one, its user name) masked. A local path or an scp-like
 * `user@host:path` carries no credential and is kept; anything else that is not a URL is masked whole.
 */
export function maskUrlCredentials(u: string): string {
  if (u.startsWith("/") || u.startsWith("./") || u.startsWith("../")) return u;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    // Not a URL (scp-like `git@host:repo` is handled below): mask all of it rather than risk a credential.
    const scp = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(.*)$/.exec(u);
    return scp !== null && !u.includes("//") ? u : MASK;
  }
  if (url.password === "" && url.username === "") return u;
  if (url.password !== "") url.password = MASK;
  else url.username = MASK;
  return url.toString();
}

/** Incoming-webhook URLs are bearer secrets as a whole: only their origin is shown. */
export function maskWebhookUrl(u: string): string {
  try {
    return `${new URL(u).origin}/${MASK}`;
  } catch {
    return MASK;
  }
}
