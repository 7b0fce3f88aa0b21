// Long-running child processes (etcd, kube-apiserver, redis-server, ...) started in their own process
// group, with output going to a log file. Killing means killing the whole group, and every group this
// process owns is killed when it exits, is interrupted or terminated -- and, through a small reaper
// shell, even when it is SIGKILLed (see startReaper).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface ProcessSpec {
  name: string;
  cmd: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunningProcess {
  readonly spec: ProcessSpec;
  /** Also the process group id (the process leads its own group). */
  readonly pid: number;
}

const owned = new Set<number>();
let hooksInstalled = false;

/** Starts a process in a new process group. `owned` processes are killed when this process exits. */
export function startProcess(spec: ProcessSpec, opts: { owned: boolean }): RunningProcess {
  const fd = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    if (child.pid === undefined) {
      throw new Error(`${spec.name}: spawn ${spec.cmd} failed (is the binary there and executable?)`);
    }
    // A spawn error (ENOENT, EACCES) arrives asynchronously; the caller notices the process is gone
    // when it waits for readiness, and the log names the reason.
    child.on("error", (err) => {
      writeFileSync(spec.logFile, `\n[harness] spawn error: ${err.message}\n`, { flag: "a" });
    });
    child.unref();
    if (opts.owned) {
      installExitHooks();
      owned.add(child.pid);
    }
    return { spec, pid: child.pid };
  } finally {
    closeSync(fd);
  }
}

/** True while any process of the group still runs (zombies count as gone). */
export function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch (err) {
      if (isNoEnt(err)) continue; // exited while we looked
      throw err;
    }
    // pid (comm) state ppid pgrp ... -- comm may contain spaces and parens, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (pgrp === pgid && state !== "Z" && state !== "X") members.push(Number(entry));
  }
  return members;
}

function isNoEnt(err: unknown): boolean {
  return err instanceof Error && "code" in err && (err.code === "ENOENT" || err.code === "ESRCH");
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if (!isNoEnt(err)) throw err;
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once no member is left.
 * @param graceMs - time allowed for a clean shutdown before SIGKILL (default 5000)
 */
export async function killGroup(pgid: number, graceMs = 5000): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) {
    signalGroup(pgid, "SIGKILL");
    const hard = Date.now() + 5000;
    while (groupAlive(pgid)) {
      if (Date.now() > hard) throw new Error(`process group ${pgid} survived SIGKILL`);
      await sleep(50);
    }
  }
  owned.delete(pgid);
}

/** Kills a group at once with SIGKILL (a crash, for restart tests). */
export async function kill9Group(pgid: number): Promise<void> {
  signalGroup(pgid, "SIGKILL");
  while (groupAlive(pgid)) await sleep(20);
  owned.delete(pgid);
}

/** Stops owning a group: it will no longer be killed when this process exits. */
export function disown(pgid: number): void {
  owned.delete(pgid);
}

function killOwnedNow(): void {
  for (const pgid of owned) signalGroup(pgid, "SIGKILL");
  owned.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killOwnedNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killOwnedNow();
      // Re-raise with the default disposition so the exit status says which signal ended us.
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Starts a detached shell that waits for `ownerPid` to disappear and then SIGKILLs every process
 * group listed in `groupsFile` (one pgid per line). This covers the case no exit hook can: the owner
 * being SIGKILLed (a test runner timeout, an OOM kill). Returns the reaper's pid; kill its group when
 * the processes are stopped normally.
 */
export function startReaper(
  ownerPid: number,
  groupsFile: string,
  logFile: string,
  /** Removed (rm -rf) after the kill: a temp directory the owner created. */
  removeDir?: string,
): RunningProcess {
  if (!existsSync(groupsFile)) writeFileSync(groupsFile, "");
  // dash's kill takes "-9 -PGID" but not "-KILL -- -PGID".
  const script =
    'while kill -0 "$0" 2>/dev/null; do sleep 1; done; ' +
    'for g in $(cat "$1" 2>/dev/null); do kill -9 "-$g" 2>/dev/null; done; ' +
    'if [ -n "$2" ]; then sleep 1; rm -rf "$2"; fi';
  return startProcess(
    {
      name: "reaper",
      cmd: "/bin/sh",
      args: ["-c", script, String(ownerPid), groupsFile, removeDir ?? ""],
      logFile,
    },
    { owned: false },
  );
}
