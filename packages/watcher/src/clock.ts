// One clock for the whole pipeline; it lives in core.
export { type Clock, systemClock } from "@shiplog/core";
