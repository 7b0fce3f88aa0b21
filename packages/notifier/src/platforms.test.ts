import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderCommit, renderDigest } from "./render.js";
import type { Message, RenderOptions } from "./render.js";
import { formatSlack, SLACK_LIMITS } from "./slack.js";
import { formatDiscord, DISCORD_LIMITS } from "./discord.js";
import { formatTeams, TEAMS_LIMITS } from "./teams.js";
import { formatMattermost, MATTERMOST_LIMITS } from "./mattermost.js";
import { change, commit, hugeCommit } from "./testkit/commits.test.helper.js";

const opts: RenderOptions = {
  commitUrlTemplate: "https://git.example/acme/history/commit/{sha}",
  maxDiffLines: 40,
};

function commitMsg(c = commit()): Message {
  return { kind: "commit", commit: renderCommit(c, opts) };
}

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text?: { type: string; text: string }; elements?: Array<{ text: string }> }>;
}

describe("slack", () => {
  it("renders author, objects, summary, diff and the commit link as Block Kit", () => {
    const c = commit();
    const { body, truncated } = formatSlack(commitMsg(c));
    const b = body as SlackBody;
    assert.equal(truncated, false);
    assert.equal(b.blocks[0]?.type, "header");
    assert.match(b.blocks[0]?.text?.text ?? "", /kubectl-edit changed 1 object in prod/);
    const all = JSON.stringify(b);
    assert.ok(all.includes(`https://git.example/acme/history/commit/${c.sha}|${c.sha.slice(0, 7)}`));
    assert.ok(all.includes("update deployments.apps default/web"));
    assert.ok(all.includes("spec.replicas 2→3"));
    assert.ok(all.includes("```\\n@@ -5,7 +5,7 @@"), "diff in a code block without file headers");
    assert.ok(all.includes("+  replicas: 3"));
    assert.ok(!all.includes("+++ b/"), "file headers dropped");
    assert.ok(b.text.length > 0, "fallback text for notifications");
  });

  it("escapes mrkdwn control characters from cluster objects", () => {
    const { body } = formatSlack(
      commitMsg(commit({ changes: [change({ summary: "metadata.labels.x <!channel>&" })] })),
    );
    const all = JSON.stringify(body);
    assert.ok(!all.includes("<!channel>"));
    assert.ok(all.includes("&lt;!channel&gt;&amp;"));
  });

  it("keeps a huge commit within 50 blocks and 3,000 characters per text, and says what was cut", () => {
    const huge = hugeCommit(300, 200, 5000);
    const { body, truncated } = formatSlack(commitMsg(huge));
    const b = body as SlackBody;
    assert.equal(truncated, true);
    assert.ok(b.blocks.length <= SLACK_LIMITS.blocks, `${b.blocks.length} blocks`);
    for (const block of b.blocks) {
      if (block.text)
        assert.ok(block.text.text.length <= SLACK_LIMITS.sectionText, `${block.text.text.length} chars`);
      if (block.type === "header") assert.ok((block.text?.text.length ?? 0) <= SLACK_LIMITS.headerText);
      for (const e of block.elements ?? []) assert.ok(e.text.length <= SLACK_LIMITS.sectionText);
    }
    const shown = b.blocks.filter((x) => x.type === "section" && x.text?.text.startsWith("*update ")).length;
    const last = b.blocks[b.blocks.length - 1];
    const notice = last?.elements?.[0]?.text ?? "";
    assert.match(
      notice,
      new RegExp(`Cut to fit Slack's limits: ${300 - shown} changes and \\d+ diff lines not shown`),
    );
    assert.ok(notice.includes(`|Full commit ${huge.sha.slice(0, 7)}>`), notice);
    assert.ok(notice.includes(huge.sha), "links to the full commit");
  });

  it("lays out a digest as one line per commit within the limits", () => {
    const commits = Array.from({ length: 2000 }, (_, i) =>
      commit({ subject: `update configmaps default/cm-${i} ${"x".repeat(100)}` }),
    );
    const { body, truncated } = formatSlack({ kind: "digest", digest: renderDigest(commits, opts) });
    const b = body as SlackBody;
    assert.equal(truncated, true);
    assert.ok(b.blocks.length <= SLACK_LIMITS.blocks);
    for (const block of b.blocks)
      if (block.text) assert.ok(block.text.text.length <= SLACK_LIMITS.sectionText);
    const lines = b.blocks
      .filter((x) => x.type === "section")
      .flatMap((x) => (x.text?.text ?? "").split("\n"));
    const notice = b.blocks[b.blocks.length - 1]?.elements?.[0]?.text ?? "";
    assert.ok(notice.includes(`${2000 - lines.length} commits not shown`), notice);
  });
});

interface DiscordBody {
  content: string;
  embeds: Array<{ title: string; url?: string; description?: string }>;
  allowed_mentions: { parse: string[] };
}

describe("discord", () => {
  it("puts the headline in content and one embed per change, with mentions disabled", () => {
    const c = commit();
    const b = formatDiscord(commitMsg(c)).body as DiscordBody;
    assert.match(b.content, /kubectl-edit changed 1 object in prod/);
    assert.ok(b.content.includes(c.sha.slice(0, 7)));
    assert.equal(b.embeds.length, 1);
    assert.equal(b.embeds[0]?.title, "update deployments.apps default/web");
    assert.equal(b.embeds[0]?.url, `https://git.example/acme/history/commit/${c.sha}`);
    assert.ok(b.embeds[0]?.description?.includes("```diff\n@@ -5,7 +5,7 @@"));
    assert.deepEqual(b.allowed_mentions, { parse: [] });
  });

  it("keeps a huge commit within 2,000 content characters, 10 embeds and 6,000 embed characters", () => {
    const huge = hugeCommit(300, 200, 5000);
    const { body, truncated } = formatDiscord(commitMsg(huge));
    const b = body as DiscordBody;
    assert.equal(truncated, true);
    assert.ok(b.content.length <= DISCORD_LIMITS.content);
    assert.ok(b.embeds.length <= DISCORD_LIMITS.embeds);
    let total = 0;
    for (const e of b.embeds) {
      assert.ok(e.title.length <= DISCORD_LIMITS.title);
      assert.ok((e.description ?? "").length <= DISCORD_LIMITS.description);
      total += e.title.length + (e.description ?? "").length;
    }
    assert.ok(total <= DISCORD_LIMITS.embedsTotal, `${total} embed characters`);
    assert.match(
      b.content,
      new RegExp(
        `Cut to fit Discord's limits: ${300 - b.embeds.length} changes and \\d+ diff lines not shown`,
      ),
    );
    assert.ok(b.content.includes(`https://git.example/acme/history/commit/${huge.sha}`));
  });

  it("keeps a long single diff within limits and counts the cut lines", () => {
    const c = commit({
      changes: [
        change({ diff: Array.from({ length: 500 }, (_, i) => `+line ${i} ${"y".repeat(50)}`).join("\n") }),
      ],
    });
    const rendered = renderCommit(c, { ...opts, maxDiffLines: 500 });
    const b = formatDiscord({ kind: "commit", commit: rendered }).body as DiscordBody;
    const desc = b.embeds[0]?.description ?? "";
    assert.ok(desc.length <= DISCORD_LIMITS.description);
    const shown = desc.split("\n").filter((l) => l.startsWith("+line")).length;
    assert.ok(desc.includes(`… ${500 - shown} more diff lines`), desc.slice(-80));
  });
});

describe("teams", () => {
  it("sends an Adaptive Card attachment with facts, diff in monospace and a commit action", () => {
    const c = commit();
    const b = formatTeams(commitMsg(c)).body as {
      type: string;
      attachments: Array<{
        contentType: string;
        content: {
          type: string;
          version: string;
          body: Array<Record<string, unknown>>;
          actions: Array<{ url: string }>;
        };
      }>;
    };
    assert.equal(b.type, "message");
    assert.equal(b.attachments.length, 1);
    const att = b.attachments[0];
    assert.equal(att?.contentType, "application/vnd.microsoft.card.adaptive");
    assert.equal(att?.content.type, "AdaptiveCard");
    assert.ok(att?.content.body.some((e) => e["type"] === "FactSet"));
    const code = att?.content.body.find((e) => e["type"] === "CodeBlock") as
      { codeSnippet: string; fallback: { text: string; fontType: string } } | undefined;
    assert.ok(
      code?.codeSnippet.includes("\n-  replicas: 2\n+  replicas: 3\n"),
      "diff verbatim in a CodeBlock",
    );
    assert.equal(code?.fallback.fontType, "Monospace");
    assert.ok(code?.fallback.text.includes("\\+  replicas: 3"), "the fallback escapes the list marker");
    assert.equal(att?.content.actions[0]?.url, `https://git.example/acme/history/commit/${c.sha}`);
  });

  it("keeps a huge commit under the message size limit and says what was cut", () => {
    const { body, truncated } = formatTeams(commitMsg(hugeCommit(300, 200, 5000)));
    assert.equal(truncated, true);
    const size = Buffer.byteLength(JSON.stringify(body));
    assert.ok(size <= TEAMS_LIMITS.bytes, `${size} bytes`);
    assert.match(JSON.stringify(body), /Cut to fit Teams's limits: \d+ changes and \d+ diff lines not shown/);
  });
});

describe("mattermost", () => {
  it("uses Slack-compatible text and attachments", () => {
    const c = commit();
    const b = formatMattermost(commitMsg(c)).body as {
      text: string;
      attachments: Array<{ title: string; title_link: string; text: string; color: string }>;
    };
    assert.match(b.text, /kubectl-edit changed 1 object in prod/);
    assert.equal(b.attachments[0]?.title, "update deployments.apps default/web");
    assert.equal(b.attachments[0]?.title_link, `https://git.example/acme/history/commit/${c.sha}`);
    assert.ok(b.attachments[0]?.text.includes("```diff\n@@ -5,7 +5,7 @@"));
  });

  it("keeps a huge commit under the post size limit and says what was cut", () => {
    const huge = hugeCommit(300, 200, 5000);
    const { body, truncated } = formatMattermost(commitMsg(huge));
    const b = body as { text: string; attachments: Array<{ title: string; text: string; fallback: string }> };
    assert.equal(truncated, true);
    const total =
      b.text.length +
      b.attachments.reduce((n, a) => n + a.title.length + a.text.length + a.fallback.length, 0);
    assert.ok(total <= MATTERMOST_LIMITS.total, `${total} characters`);
    assert.ok(b.attachments.length <= MATTERMOST_LIMITS.attachments);
    assert.ok(b.text.includes(`${300 - b.attachments.length} changes`), b.text);
    assert.ok(b.text.includes(huge.sha));
  });
});
