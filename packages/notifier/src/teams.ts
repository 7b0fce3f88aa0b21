/**
 * Microsoft Teams "Workflows" webhooks: a message whose single attachment is an Adaptive Card
 * (contentType application/vnd.microsoft.card.adaptive). Teams refuses messages over about 28 KB, so
 * the card is kept under `TEAMS_LIMITS.bytes` of JSON; changes that do not fit are counted and named.
 */
import type { RenderedChange, RenderedCommit, RenderedDigest } from "./render.js";
import { changeTitle, commitHeadline, countsLine, digestHeadline } from "./render.js";
import type { Formatted } from "./platform.js";
import { platformFormatter } from "./platform.js";
import { placeChanges } from "./layout.js";
import { anyCut, chunkLines, clip, cutSentence, noCuts, packDiff } from "./text.js";

export const TEAMS_LIMITS = { bytes: 24_000, textBlock: 4000 } as const;

type Element =
  | {
      type: "TextBlock";
      text: string;
      wrap: true;
      weight?: "Bolder";
      size?: "Medium" | "Small";
      fontType?: "Monospace";
      isSubtle?: boolean;
      spacing?: "Medium";
    }
  | { type: "FactSet"; facts: Array<{ title: string; value: string }> }
  | { type: "CodeBlock"; codeSnippet: string; language: "PlainText"; fallback: Element };

interface Card {
  $schema: string;
  type: "AdaptiveCard";
  version: "1.5";
  msteams: { width: "Full" };
  body: Element[];
  actions: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

function envelope(card: Card): unknown {
  return {
    type: "message",
    attachments: [
      { contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card },
    ],
  };
}

function newCard(url: string | undefined): Card {
  return {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.5",
    msteams: { width: "Full" },
    body: [],
    actions: url === undefined ? [] : [{ type: "Action.OpenUrl", title: "View commit", url }],
  };
}

/** Adaptive Card TextBlocks render a subset of Markdown; keep object text literal. */
export function escapeTeams(s: string): string {
  return s.replace(/([\\*_`[\]])/g, "\\$1");
}

function changeElements(ch: RenderedChange, maxDiffChars: number): { elements: Element[]; cut: number } {
  const elements: Element[] = [
    {
      type: "TextBlock",
      text: escapeTeams(changeTitle(ch)),
      wrap: true,
      weight: "Bolder",
      spacing: "Medium",
    },
  ];
  if (ch.summary !== "") {
    elements.push({
      type: "TextBlock",
      text: clip(escapeTeams(ch.summary), TEAMS_LIMITS.textBlock),
      wrap: true,
    });
  }
  let cut = 0;
  if (ch.diffLines.length > 0 || ch.diffLinesCut > 0) {
    const packed = packDiff(ch.diffLines, ch.diffLinesCut, Math.min(TEAMS_LIMITS.textBlock, maxDiffChars));
    // Teams renders CodeBlock verbatim; older clients get a monospace TextBlock, where a leading
    // "-" or "+" would otherwise start a Markdown list.
    const fallback: Element = {
      type: "TextBlock",
      text: packed.text
        .split("\n")
        .map((l) => escapeTeams(l).replace(/^([-+])/, "\\$1"))
        .join("\n\n"),
      wrap: true,
      fontType: "Monospace",
      size: "Small",
    };
    elements.push({ type: "CodeBlock", codeSnippet: packed.text, language: "PlainText", fallback });
    cut = packed.cut;
  }
  return { elements, cut };
}

function formatCommit(c: RenderedCommit): Formatted {
  const card = newCard(c.url);
  card.body.push(
    { type: "TextBlock", text: escapeTeams(commitHeadline(c)), wrap: true, weight: "Bolder", size: "Medium" },
    {
      type: "FactSet",
      facts: [
        { title: "Author", value: escapeTeams(c.author) },
        { title: "Cluster", value: escapeTeams(c.cluster) },
        { title: "Branch", value: escapeTeams(c.branch) },
        { title: "Commit", value: c.shortSha },
        { title: "Changes", value: countsLine(c) },
      ],
    },
  );
  const cuts = noCuts();
  const reserve = 600; // the closing "what was cut" block
  placeChanges(c.changes, cuts, (ch, i) => {
    const room = TEAMS_LIMITS.bytes - reserve - bytes(envelope(card));
    const left = c.changes.length - i;
    // The diff appears twice (CodeBlock and its fallback) and JSON escaping can double it; budget characters conservatively.
    let { elements, cut } = changeElements(ch, Math.floor(room / left / 4));
    if (bytes(elements) > room) ({ elements, cut } = changeElements(ch, 0));
    if (bytes(elements) > room || room < 200) return undefined;
    card.body.push(...elements);
    return cut;
  });
  const truncated = anyCut(cuts);
  if (truncated) {
    const where = c.url === undefined ? `the full commit ${c.shortSha}` : "the full commit (View commit)";
    card.body.push({
      type: "TextBlock",
      text: `✂ ${cutSentence("Teams", cuts)} See ${where}.`,
      wrap: true,
      isSubtle: true,
    });
  }
  return { body: envelope(card), truncated };
}

function formatDigest(d: RenderedDigest): Formatted {
  const card = newCard(undefined);
  card.body.push(
    { type: "TextBlock", text: escapeTeams(digestHeadline(d)), wrap: true, weight: "Bolder", size: "Medium" },
    { type: "TextBlock", text: `Between ${d.from} and ${d.to}`, wrap: true, isSubtle: true },
  );
  const lines = d.commits.map(
    (c) =>
      `- ${c.url === undefined ? c.shortSha : `[${c.shortSha}](${c.url})`} **${escapeTeams(c.author)}** — ${escapeTeams(c.subject)} (${countsLine(c)})`,
  );
  const { chunks, cut } = chunkLines(
    lines,
    TEAMS_LIMITS.textBlock,
    Math.floor(TEAMS_LIMITS.bytes / TEAMS_LIMITS.textBlock / 2),
  );
  for (const chunk of chunks) card.body.push({ type: "TextBlock", text: chunk, wrap: true });
  if (cut > 0) {
    card.body.push({
      type: "TextBlock",
      text: `✂ ${cutSentence("Teams", { ...noCuts(), commits: cut })} See the repository history.`,
      wrap: true,
      isSubtle: true,
    });
  }
  return { body: envelope(card), truncated: cut > 0 };
}

export const formatTeams = platformFormatter({ commit: formatCommit, digest: formatDigest });
