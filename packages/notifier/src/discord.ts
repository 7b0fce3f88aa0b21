/**
 * Discord webhooks: `content` (2,000 characters) plus up to 10 embeds (title 256, description 4,096,
 * footer 2,048, and 6,000 characters over all embeds together). Mentions are disabled, so text from a
 * cluster object can never ping `@everyone`.
 */
import type { RenderedChange, RenderedCommit, RenderedDigest } from "./render.js";
import { changeTitle, commitHeadline, countsLine, digestHeadline } from "./render.js";
import type { Formatted } from "./platform.js";
import { platformFormatter } from "./platform.js";
import { diffLineCount, shareBudget } from "./layout.js";
import { anyCut, chunkLines, clip, cutSentence, fenceSafe, noCuts, packDiff } from "./text.js";

export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  footer: 2048,
  embedsTotal: 6000,
} as const;

const COLORS = { create: 0x2eb67d, update: 0xecb22e, delete: 0xe01e5a } as const;

interface Embed {
  title: string;
  url?: string;
  description?: string;
  color?: number;
  footer?: { text: string };
}

/** Characters Discord counts towards the 6,000 total. */
function embedSize(e: Embed): number {
  return e.title.length + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0);
}

/** Discord markdown: keep text from objects from formatting or linking. */
export function escapeDiscord(s: string): string {
  return s.replace(/([\\*_~`|>[\]()])/g, "\\$1");
}

function changeEmbed(
  ch: RenderedChange,
  url: string | undefined,
  budget: number,
): { embed: Embed; cut: number } {
  const title = clip(changeTitle(ch), DISCORD_LIMITS.title);
  const summary = escapeDiscord(ch.summary);
  const embed: Embed = { title, color: COLORS[ch.op] };
  if (url !== undefined) embed.url = url;
  const room = Math.min(DISCORD_LIMITS.description, budget - title.length);
  let cut = 0;
  if (ch.diffLines.length > 0 || ch.diffLinesCut > 0) {
    const head = summary === "" ? "" : `${clip(summary, Math.max(0, room - 200))}\n`;
    const fence = "```diff\n";
    const diffRoom = room - head.length - fence.length - 4;
    if (diffRoom >= 40) {
      const packed = packDiff(ch.diffLines.map(fenceSafe), ch.diffLinesCut, diffRoom);
      embed.description = `${head}${fence}${packed.text}\n\`\`\``;
      cut = packed.cut;
    } else {
      embed.description = clip(head.trimEnd(), Math.max(0, room));
      cut = diffLineCount(ch);
    }
  } else if (summary !== "") {
    embed.description = clip(summary, Math.max(0, room));
  }
  if (embed.description === "") delete embed.description;
  return { embed, cut };
}

function formatCommit(c: RenderedCommit): Formatted {
  const ref = c.url === undefined ? `\`${c.shortSha}\`` : `[\`${c.shortSha}\`](<${c.url}>)`;
  const head = `**${escapeDiscord(commitHeadline(c))}** · ${escapeDiscord(c.branch)} · ${ref} · ${countsLine(c)}`;
  const embeds: Embed[] = [];
  const cuts = noCuts();
  const limits = { budget: DISCORD_LIMITS.embedsTotal, maxItems: DISCORD_LIMITS.embeds, minShare: 300 };
  shareBudget(c.changes, cuts, limits, (ch, share) => {
    const { embed, cut } = changeEmbed(ch, c.url, share);
    embeds.push(embed);
    return { size: embedSize(embed), cut };
  });
  const truncated = anyCut(cuts);
  let content = head;
  if (truncated) {
    const full = c.url === undefined ? `full commit \`${c.shortSha}\`` : `full commit: <${c.url}>`;
    content = `${clip(head, DISCORD_LIMITS.content - 300)}\n✂ ${cutSentence("Discord", cuts)} See the ${full}`;
  }
  return {
    body: { content: clip(content, DISCORD_LIMITS.content), embeds, allowed_mentions: { parse: [] } },
    truncated,
  };
}

function formatDigest(d: RenderedDigest): Formatted {
  const lines = d.commits.map((c) => {
    const ref = c.url === undefined ? `\`${c.shortSha}\`` : `[\`${c.shortSha}\`](<${c.url}>)`;
    return `• ${ref} **${escapeDiscord(c.author)}** — ${escapeDiscord(c.subject)} (${countsLine(c)})`;
  });
  const title = clip(digestHeadline(d), DISCORD_LIMITS.title);
  const perEmbed = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedsTotal - title.length - 200);
  const { chunks, cut } = chunkLines(lines, perEmbed, 1);
  const embeds: Embed[] = [{ title, description: chunks[0] ?? "", color: COLORS.update }];
  let content = `**${escapeDiscord(digestHeadline(d))}** between ${d.from} and ${d.to}`;
  if (cut > 0)
    content += `\n✂ ${cutSentence("Discord", { ...noCuts(), commits: cut })} See the repository history.`;
  return {
    body: { content: clip(content, DISCORD_LIMITS.content), embeds, allowed_mentions: { parse: [] } },
    truncated: cut > 0,
  };
}

export const formatDiscord = platformFormatter({ commit: formatCommit, digest: formatDigest });
