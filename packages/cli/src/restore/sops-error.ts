/** A sops document could not be decrypted: no matching identity, a tampered value, a bad format. */
export class SopsDecryptError extends Error {
  override readonly name = "SopsDecryptError";
  /** Key path of the value that failed (`data.password`), if the failure is about one value. */
  readonly field: string | undefined;

  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(field === undefined ? message : `${field}: ${message}`, options);
    this.field = field;
  }
}
