/** What every platform formatter returns: a JSON body and whether anything had to be cut. */
export interface Formatted {
  readonly body: unknown;
  readonly truncated: boolean;
}
