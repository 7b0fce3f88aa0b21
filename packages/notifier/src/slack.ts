/**
 * Slack incoming webhooks, Block Kit. Limits: 50 blocks per message, 3,000 characters per section
 * text, 150 per header. Whatever does not fit is counted and named in a closing context block that
 * links to the full commit.
 */
import type { Message, RenderedChange, RenderedCommit, RenderedDigest } from "./render.js";
import { changeTitle, commitHeadline, countsLine, digestHeadline } from "./render.js";
import type { Formatted } from "./platform.js";
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
  const blocks: Block[] = [
    {
      type: "header",
      text: { type: "plain_text", text: clip(commitHeadline(c), SLACK_LIMITS.headerText), emoji: false },
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: clip(
            `*${escapeSlack(c.author)}* · ${escapeSlack(c.cluster)} · ${escapeSlack(c.branch)} · ${commitRef(c)} · ${countsLine(c)}`,
            SLACK_LIMITS.sectionText,
          ),
        },
      ],
    },
  ];
  const cuts = noCuts();
  const reserve = 1; // the closing "what was cut" block
  for (const [i, ch] of c.changes.entries()) {
    const room = SLACK_LIMITS.blocks - reserve - blocks.length;
    if (room < 1) {
      const rest = c.changes.slice(i);
      cuts.changes += rest.length;
      cuts.diffLines += rest.reduce((n, r) => n + r.diffLines.length + r.diffLinesCut, 0);
      break;
    }
    blocks.push(changeSection(ch));
    if (ch.diffLines.length === 0 && ch.diffLinesCut === 0) continue;
    if (room < 2) {
      cuts.diffLines += ch.diffLines.length + ch.diffLinesCut;
      continue;
    }
    const d = diffSection(ch);
    cuts.diffLines += d.cut;
    blocks.push(d.block);
  }
  const truncated = anyCut(cuts);
  if (truncated) {
    const full =
      c.url === undefined
        ? `full commit \`${c.shortSha}\` on ${escapeSlack(c.branch)}`
        : link(c.url, `Full commit ${c.shortSha}`);
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `✂ ${cutSentence("Slack", cuts)} ${full}` }],
    });
  }
  const text = clip(`${commitHeadline(c)}: ${c.subject}`, SLACK_LIMITS.fallbackText);
  return { body: { text, blocks }, truncated };
}

function formatDigest(d: RenderedDigest): Formatted {
  const blocks: Block[] = [
    {
      type: "header",
      text: { type: "plain_text", text: clip(digestHeadline(d), SLACK_LIMITS.headerText), emoji: false },
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `More commits than the flood limit between ${d.from} and ${d.to}; one line each.`,
        },
      ],
    },
  ];
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
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `✂ ${cutSentence("Slack", cuts)} See the repository history.` }],
    });
  }
  return { body: { text: clip(digestHeadline(d), SLACK_LIMITS.fallbackText), blocks }, truncated: cut > 0 };
}

export function formatSlack(msg: Message): Formatted {
  switch (msg.kind) {
    case "commit":
      return formatCommit(msg.commit);
    case "digest":
      return formatDigest(msg.digest);
  }
}
