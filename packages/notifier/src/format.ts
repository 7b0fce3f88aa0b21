/** Lay a message out for a sink's platform: the HTTP body and headers to send, and whether it was cut. */
import type { Message } from "./render.js";
import type { ResolvedSink } from "./options.js";
import { formatSlack } from "./slack.js";
import { formatTeams } from "./teams.js";
import { formatDiscord } from "./discord.js";
import { formatMattermost } from "./mattermost.js";
import { buildWebhookRequest } from "./webhook.js";

export interface Request {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly truncated: boolean;
}

export function formatFor(
  sink: Pick<ResolvedSink, "name" | "type" | "secret">,
  msg: Message,
  ctx: { deliveryId: string; nowMs: number },
): Request {
  switch (sink.type) {
    case "slack":
      return json(formatSlack(msg));
    case "teams":
      return json(formatTeams(msg));
    case "discord":
      return json(formatDiscord(msg));
    case "mattermost":
      return json(formatMattermost(msg));
    case "webhook": {
      const req = buildWebhookRequest(msg, { secret: sink.secret ?? "", sink: sink.name, ...ctx });
      return { ...req, truncated: false };
    }
  }
}

function json(f: { body: unknown; truncated: boolean }): Request {
  return { body: JSON.stringify(f.body), headers: {}, truncated: f.truncated };
}
