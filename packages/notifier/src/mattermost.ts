/**
 * Mattermost incoming webhooks (Slack-compatible `text` + `attachments`, Markdown). A post is limited
 * to 16,383 characters by default (MaxPostSize); attachments count towards the post, so the whole
 * message is kept under `MATTERMOST_LIMITS.total` characters, with at most 20 attachments.
 */
import type { RenderedChange, RenderedCommit, RenderedDigest } from "./render.js";
import { changeTitle, commitHeadline, countsLine, digestHeadline } from "./render.js";
import type { Formatted } from "./platform.js";
import { platformFormatter } from "./platform.js";
import { diffLineCount, shareBudget } from "./layout.js";
import { anyCut, chunkLines, clip, cutSentence, fenceSafe, noCuts, packDiff } from "./text.js";

export const MATTERMOST_LIMITS = { total: 16_000, attachments: 20, title: 250 } as const;

const COLORS = { create: "#2eb67d", update: "#ecb22e", delete: "#e01e5a" } as const;

interface Attachment {
  fallback: string;
  color: string;
  title: string;
  title_link?: string;
  text: string;
}

function size(a: Attachment): number {
  return a.fallback.length + a.title.length + a.text.length;
}

/** Mattermost Markdown: keep object text literal (no links, mentions or emphasis). */
export function escapeMattermost(s: string): string {
  return s.replace(/([\\*_~`[\]<>|#@])/g, "\\$1");
}

function attachmentFor(
  ch: RenderedChange,
  url: string | undefined,
  room: number,
): { a: Attachment; cut: number } {
  const title = clip(changeTitle(ch), MATTERMOST_LIMITS.title);
  const a: Attachment = { fallback: title, color: COLORS[ch.op], title, text: "" };
  if (url !== undefined) a.title_link = url;
  const summary = escapeMattermost(ch.summary);
  const budget = room - title.length * 2;
  const head = summary === "" ? "" : clip(summary, Math.max(0, Math.floor(budget / 3)));
  let cut = 0;
  if (ch.diffLines.length > 0 || ch.diffLinesCut > 0) {
    const diffRoom = budget - head.length - 16;
    if (diffRoom >= 40) {
      const packed = packDiff(ch.diffLines.map(fenceSafe), ch.diffLinesCut, diffRoom);
      a.text = `${head}${head === "" ? "" : "\n"}\`\`\`diff\n${packed.text}\n\`\`\``;
      cut = packed.cut;
    } else {
      a.text = head;
      cut = diffLineCount(ch);
    }
  } else {
    a.text = head;
  }
  return { a, cut };
}

function formatCommit(c: RenderedCommit): Formatted {
  const ref = c.url === undefined ? `\`${c.shortSha}\`` : `[${c.shortSha}](${c.url})`;
  const head = `#### ${escapeMattermost(commitHeadline(c))}\n${escapeMattermost(c.branch)} · ${ref} · ${countsLine(c)}`;
  const attachments: Attachment[] = [];
  const cuts = noCuts();
  const reserve = 400; // the closing "what was cut" line
  const budget = MATTERMOST_LIMITS.total - reserve - head.length;
  shareBudget(
    c.changes,
    cuts,
    { budget, maxItems: MATTERMOST_LIMITS.attachments, minShare: 300 },
    (ch, share) => {
      const { a, cut } = attachmentFor(ch, c.url, share);
      attachments.push(a);
      return { size: size(a), cut };
    },
  );
  const truncated = anyCut(cuts);
  let text = head;
  if (truncated) {
    text += `\n✂ ${cutSentence("Mattermost", cuts)} See the full commit ${ref}.`;
  }
  return { body: { text, attachments }, truncated };
}

function formatDigest(d: RenderedDigest): Formatted {
  const lines = d.commits.map((c) => {
    const ref = c.url === undefined ? `\`${c.shortSha}\`` : `[${c.shortSha}](${c.url})`;
    return `- ${ref} **${escapeMattermost(c.author)}** — ${escapeMattermost(c.subject)} (${countsLine(c)})`;
  });
  const head = `#### ${escapeMattermost(digestHeadline(d))}\nBetween ${d.from} and ${d.to}`;
  const { chunks, cut } = chunkLines(lines, MATTERMOST_LIMITS.total - head.length - 400, 1);
  let text = `${head}\n${chunks[0] ?? ""}`;
  if (cut > 0)
    text += `\n✂ ${cutSentence("Mattermost", { ...noCuts(), commits: cut })} See the repository history.`;
  return { body: { text }, truncated: cut > 0 };
}

export const formatMattermost = platformFormatter({ commit: formatCommit, digest: formatDigest });
