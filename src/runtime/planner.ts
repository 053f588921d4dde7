/**
 * Which planner made a cache entry: every cache (the fast path's data, parsed configs, runsc
 * capabilities) names it, and an entry made by another build is ignored, so an upgrade never serves
 * the old build's plans. scripts/build.mjs sets it to a hash of the sources the runtime is built from
 * and of the launcher that reads the fast path's data (so no format number is kept by hand);
 * install-runtime writes the same value into the launcher.
 */
declare const PLANNER_ID: string | undefined;

export const PLANNER = typeof PLANNER_ID === "string" ? PLANNER_ID : "unbuilt";
