/**
 * How many job fetches to have in flight at once. The first job of a window is awaited alone (a
 * blocking fetch). While a window is open and the queue has a backlog, the number doubles while every
 * fetch returns a job, up to `limit`, and falls back to one as soon as the queue runs dry, so that a
 * backlog drains at Redis's pace rather than one round trip per job. Order is kept by `seq` (the plan
 * sorts by it), not by arrival.
 */
export class FetchAhead {
  private ahead = 1;

  constructor(private readonly limit: number) {}

  /** Fetches to start now: one while no window is open, else at most `room` (space left in the window). */
  want(windowOpen: boolean, room: number): number {
    return windowOpen ? Math.min(this.ahead, room) : 1;
  }

  /** `got` of the `wanted` fetches returned a job. */
  record(got: number, wanted: number): void {
    this.ahead = got === wanted ? Math.min(this.limit, this.ahead * 2) : 1;
  }
}
