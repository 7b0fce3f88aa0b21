/** Lay a message out for a sink's platform: the HTTP body and headers to send, and whether it was cut. */
import type { SinkTarget } from "@shiplog/core";
import { SinkTypes } from "@shiplog/core";
import type { Message } from "./render.js";
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
  sink: Pick<SinkTarget, "name" | "type" | "secret">,
  msg: Message,
  ctx: { deliveryId: string; nowMs: number },
): Request {
  switch (sink.type) {
    case SinkTypes.slack:
      return json(formatSlack(msg));
    case SinkTypes.teams:
      return json(formatTeams(msg));
    case SinkTypes.discord:
      return json(formatDiscord(msg));
    case SinkTypes.mattermost:
      return json(formatMattermost(msg));
    case SinkTypes.webhook: {
      const req = buildWebhookRequest(msg, { secret: sink.secret ?? "", sink: sink.name, ...ctx });
      return { ...req, truncated: false };
    }
  }
}

function json(f: { body: unknown; truncated: boolean }): Request {
  return { body: JSON.stringify(f.body), headers: {}, truncated: f.truncated };
}
