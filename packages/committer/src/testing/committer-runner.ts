// A committer in its own process, for kill -9 tests: `node committer-runner.js '<json options>'`.
// Prints its status as one JSON line every 20 ms; stops cleanly on SIGTERM.
import { Committer } from "../committer.js";
import { baseOptions } from "./fixtures.js";

interface RunnerArgs {
  repoPath: string;
  prefix: string;
  quietPeriodMs: number;
  maxWindowMs: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as RunnerArgs;
const print = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};
const logger = {
  info: (obj: object, msg?: string) => print({ level: "info", msg, ...obj }),
  warn: (obj: object, msg?: string) => print({ level: "warn", msg, ...obj }),
  error: (obj: object, msg?: string) => print({ level: "error", msg, ...obj }),
  debug: (): void => undefined,
};
const committer = new Committer({
  ...baseOptions(args.repoPath, args.prefix, "crash-test"),
  quietPeriodMs: args.quietPeriodMs,
  maxWindowMs: args.maxWindowMs,
  lockTtlMs: 2000,
  jobLockMs: 3000,
  stalledIntervalMs: 1000,
  logger,
});
await committer.start();
const timer = setInterval(() => print({ status: committer.status() }), 20);
process.on("SIGTERM", () => {
  clearInterval(timer);
  void committer.stop().then(() => process.exit(0));
});
