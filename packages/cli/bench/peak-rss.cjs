// Preloaded into a benchmarked `shiplog` process (node --require): on exit, appends the process's
// peak RSS (VmHWM, kB) to the file named by BENCH_PEAK_RSS_FILE.
"use strict";
const { appendFileSync, readFileSync } = require("node:fs");
const out = process.env.BENCH_PEAK_RSS_FILE;
if (out) {
  process.on("exit", () => {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    appendFileSync(out, `${m ? m[1] : "0"}\n`);
  });
}
