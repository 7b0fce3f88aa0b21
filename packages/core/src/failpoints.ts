/**
 * Failpoints: named moments in the pipeline at which a test makes the real process die, so that "a
 * kill -9 at the worst moment" is reproducible against real components instead of hoped for with a
 * timed signal (the idea of etcd's gofail). Armed only through `SHIPLOG_FAILPOINTS`, which no chart,
 * overlay or default sets; `shiplog run` logs a warning naming every armed point.
 *
 *   SHIPLOG_FAILPOINTS="committer/before-publish=kill"
 *
 * Actions: `kill` (SIGKILL to the own process: no exit hook, no flush, no lock release) and
 * `throw` (an Error, as a Redis failure at that moment would).
 */
import { ConfigError } from "./config-error.js";

/** Every failpoint the code has; the spec may name no other. */
export const FailpointNames = {
  /** A window's commits are on the branch; the outbox does not hold them yet. */
  committerAfterRefUpdate: "committer/after-ref-update",
  /** The outbox holds the commits; nothing is on the notifier's queue and no job is acknowledged. */
  committerBeforePublish: "committer/before-publish",
  /** The commits are on the notifier's queue; the window's jobs are not acknowledged. */
  committerBeforeAck: "committer/before-ack",
} as const;
export type FailpointName = (typeof FailpointNames)[keyof typeof FailpointNames];

export const FailpointActions = ["kill", "throw"] as const;
export type FailpointAction = (typeof FailpointActions)[number];

export const FAILPOINTS_ENV = "SHIPLOG_FAILPOINTS";

/** Where a component calls `hit(name)`; does nothing for a point that is not armed. */
export interface Failpoints {
  hit(name: FailpointName): void;
  /** The armed points, for the start-up warning. */
  readonly armed: ReadonlyMap<FailpointName, FailpointAction>;
}

export const noFailpoints: Failpoints = { hit: () => undefined, armed: new Map() };

const NAMES: readonly string[] = Object.values(FailpointNames);

/** Parses `name=action[,name=action...]`; an unknown name or action is a ConfigError on the env var. */
export function parseFailpoints(spec: string | undefined): Map<FailpointName, FailpointAction> {
  const out = new Map<FailpointName, FailpointAction>();
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",")) {
    const [name = "", action = "", ...rest] = part.trim().split("=");
    if (!NAMES.includes(name))
      throw new ConfigError(
        FAILPOINTS_ENV,
        `unknown failpoint ${JSON.stringify(name)}; known: ${NAMES.join(", ")}`,
      );
    if (rest.length > 0 || !(FailpointActions as readonly string[]).includes(action))
      throw new ConfigError(
        FAILPOINTS_ENV,
        `failpoint ${name}: expected an action ${FailpointActions.join(" or ")}, got ${JSON.stringify(part.trim())}`,
      );
    out.set(name as FailpointName, action as FailpointAction);
  }
  return out;
}

/** Failpoints armed by `spec`; `kill` sends SIGKILL to this process. */
export function failpoints(spec: string | undefined): Failpoints {
  const armed = parseFailpoints(spec);
  if (armed.size === 0) return noFailpoints;
  return {
    armed,
    hit(name) {
      const action = armed.get(name);
      if (action === "kill") process.kill(process.pid, "SIGKILL");
      if (action !== undefined) throw new Error(`failpoint ${name} hit`);
    },
  };
}
