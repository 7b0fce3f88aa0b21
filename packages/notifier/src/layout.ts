/**
 * The truncation loop the chat layouts (Slack, Teams, Discord, Mattermost) share: place a commit's
 * changes in order while they fit, and count what did not fit, so the closing note can say it.
 */
import type { RenderedChange } from "./render.js";
import type { Cuts } from "./text.js";

/** Every diff line of a change: the lines it carries and those already cut upstream. */
export function diffLineCount(ch: Pick<RenderedChange, "diffLines" | "diffLinesCut">): number {
  return ch.diffLines.length + ch.diffLinesCut;
}

/**
 * `place(ch, i)` adds one change to the message and returns how many of its diff lines it had to cut,
 * or `undefined` when there is no room for it; that change and every later one are then counted as
 * cut (changes and their diff lines) in `cuts`.
 */
export function placeChanges(
  changes: readonly RenderedChange[],
  cuts: Cuts,
  place: (ch: RenderedChange, i: number) => number | undefined,
): void {
  for (const [i, ch] of changes.entries()) {
    const cut = place(ch, i);
    if (cut === undefined) {
      const rest = changes.slice(i);
      cuts.changes += rest.length;
      cuts.diffLines += rest.reduce((n, r) => n + diffLineCount(r), 0);
      return;
    }
    cuts.diffLines += cut;
  }
}

/**
 * `placeChanges` for layouts where each change becomes one item and all items share one character
 * budget (Discord embeds, Mattermost attachments): each change is offered its fair share of what is
 * left (at least `minShare`) among the changes still to come, up to `maxItems` items; placing stops
 * when the budget left falls below `minShare`. `place` returns the item's size and the lines it cut.
 */
export function shareBudget(
  changes: readonly RenderedChange[],
  cuts: Cuts,
  limits: { readonly budget: number; readonly maxItems: number; readonly minShare: number },
  place: (ch: RenderedChange, share: number) => { size: number; cut: number },
): void {
  let used = 0;
  let items = 0;
  placeChanges(changes, cuts, (ch, i) => {
    const left = limits.budget - used;
    if (items >= limits.maxItems || left < limits.minShare) return undefined;
    const share = Math.floor(left / Math.min(changes.length - i, limits.maxItems - items));
    const { size, cut } = place(ch, Math.max(limits.minShare, share));
    used += size;
    items++;
    return cut;
  });
}
