/**
 * Slack incoming webhooks, Block Kit. Limits: 50 blocks per message, 3,000 characters per section
 * text, 150 per header. Whatever does not fit is counted and named in a closing context block that
 * links to the full commit.
 */
import type { RenderedChange, RenderedCommit, RenderedDigest } from "./render.js";
import { changeTitle, commitHeadline, countsLine, digestHeadline } from "./render.js";
import type { Formatted } from "./platform.js";
import { platformFormatter } from "./platform.js";
import { diffLineCount, placeChanges } from "./layout.js";
import { anyCut, chunkLines, clip, cutSentence, fenceSafe, noCuts, packDiff } from "./text.js";

export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, headerText: 150, fallbackText: 3000 } as const;

type Block =
  | { type: "header"; text: { type: "plain_text"; text: string; emoji: boolean } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: Array<{ type: "mrkdwn"; text: string }> }
  | { type: "divider" };

/** Slack mrkdwn control characters. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function link(url: string, label: string): string {
  const safeUrl = url.replace(/\|/g, "%7C").replace(/</g, "%3C").replace(/>/g, "%3E");
  return `<${safeUrl}|${escapeSlack(label)}>`;
}

function commitRef(c: RenderedCommit): string {
  return c.url === undefined ? `\`${c.shortSha}\`` : link(c.url, c.shortSha);
}

function section(text: string): Block {
  return { type: "section", text: { type: "mrkdwn", text: clip(text, SLACK_LIMITS.sectionText) } };
}

function context(text: string): Block {
  return { type: "context", elements: [{ type: "mrkdwn", text }] };
}

/** The header block and the context line under it, each within Slack's limits. */
function opening(headline: string, line: string): Block[] {
  return [
    {
      type: "header",
      text: { type: "plain_text", text: clip(headline, SLACK_LIMITS.headerText), emoji: false },
    },
    context(clip(line, SLACK_LIMITS.sectionText)),
  ];
}

function changeSection(ch: RenderedChange): Block {
  const summary = ch.summary === "" ? "" : `\n${escapeSlack(ch.summary)}`;
  return section(`*${escapeSlack(changeTitle(ch))}*${summary}`);
}

function diffSection(ch: RenderedChange): { block: Block; cut: number } {
  const fence = "```\n";
  const max = SLACK_LIMITS.sectionText - fence.length - 4;
  const packed = packDiff(
    ch.diffLines.map((l) => escapeSlack(fenceSafe(l))),
    ch.diffLinesCut,
    max,
  );
  return { block: section(`${fence}${packed.text}\n\`\`\``), cut: packed.cut };
}

function formatCommit(c: RenderedCommit): Formatted {
  const blocks = opening(
    commitHeadline(c),
    `*${escapeSlack(c.author)}* · ${escapeSlack(c.cluster)} · ${escapeSlack(c.branch)} · ${commitRef(c)} · ${countsLine(c)}`,
  );
  const cuts = noCuts();
  const reserve = 1; // the closing "what was cut" block
  placeChanges(c.changes, cuts, (ch) => {
    const room = SLACK_LIMITS.blocks - reserve - blocks.length;
    if (room < 1) return undefined;
    blocks.push(changeSection(ch));
    if (diffLineCount(ch) === 0) return 0;
    if (room < 2) return diffLineCount(ch);
    const d = diffSection(ch);
    blocks.push(d.block);
    return d.cut;
  });
  const truncated = anyCut(cuts);
  if (truncated) {
    const full =
      c.url === undefined
        ? `full commit \`${c.shortSha}\` on ${escapeSlack(c.branch)}`
        : link(c.url, `Full commit ${c.shortSha}`);
    blocks.push(context(`✂ ${cutSentence("Slack", cuts)} ${full}`));
  }
  const text = clip(`${commitHeadline(c)}: ${c.subject}`, SLACK_LIMITS.fallbackText);
  return { body: { text, blocks }, truncated };
}

function formatDigest(d: RenderedDigest): Formatted {
  const blocks = opening(
    digestHeadline(d),
    `More commits than the flood limit between ${d.from} and ${d.to}; one line each.`,
  );
  const lines = d.commits.map(
    (c) => `• ${commitRef(c)} *${escapeSlack(c.author)}* — ${escapeSlack(c.subject)} (${countsLine(c)})`,
  );
  const reserve = 1;
  const { chunks, cut } = chunkLines(
    lines,
    SLACK_LIMITS.sectionText,
    SLACK_LIMITS.blocks - blocks.length - reserve,
  );
  for (const chunk of chunks) blocks.push(section(chunk));
  if (cut > 0) {
    const cuts = { ...noCuts(), commits: cut };
    blocks.push(context(`✂ ${cutSentence("Slack", cuts)} See the repository history.`));
  }
  return { body: { text: clip(digestHeadline(d), SLACK_LIMITS.fallbackText), blocks }, truncated: cut > 0 };
}

export const formatSlack = platformFormatter({ commit: formatCommit, digest: formatDigest });
