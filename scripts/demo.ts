/**
 * The demo: a busybox container run through the installed runsc-overlay, once with each runsc at hand
 * (the system's, and Debian 13's 0.0~20240729 that the tests use), showing the runsc version, the
 * flags the sandbox was started with, and where the root overlay's filestore lives on the host.
 *
 *   npm run demo [-- /path/to/bin/runsc-overlay]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { busyboxBundle } from "../src/testbed/busybox.ts";
import { openFilesUnder } from "../src/testbed/filestore.ts";

const project = join(import.meta.dirname, "..");
const runtime = process.argv[2] ?? "/usr/local/bin/runsc-overlay";
const parts = join(project, ".tools/test");

async function fetchParts(): Promise<void> {
  const fetch = (suite: string, pkg: string, version: string, dest: string) =>
    execa(join(project, "scripts/fetch-deb"), [suite, pkg, version, join(parts, dest)], { stdio: "inherit" });
  await fetch("bookworm", "busybox-static", "1:1.35.0-4+deb12u1+b1", "busybox");
  await fetch("trixie", "runsc", "0.0~20240729.0-4+b7", "runsc-20240729");
}

function systemRunsc(): string | undefined {
  return ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].map((d) => join(d, "runsc")).find(existsSync);
}

/** The sandbox's own command line, read from /proc: the flags runsc really ran with. */
function sandboxFlags(pid: number): string[] {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  return argv.filter((word) => /^--(overlay2|network|file-access)=/.test(word));
}

function hostFilestores(rootfs: string, fallbackDir: string): string[] {
  const inRootfs = readdirSync(rootfs)
    .filter((name) => name.startsWith(".gvisor.filestore."))
    .map((name) => {
      const st = statSync(join(rootfs, name));
      return `${join(rootfs, name)} (${st.size >> 20} MiB apparent, ${(st.blocks * 512) >> 20} MiB allocated)`;
    });
  return [...inRootfs, ...openFilesUnder(fallbackDir).map((file) => `${file}, held open by the sandbox`)];
}

async function demo(runsc: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "runsc-overlay-demo-"));
  const fallbackDir = join(dir, "filestore");
  const config = join(dir, "config.toml");
  // --network=none: runsc's own network needs a network namespace that this demo does not set up.
  writeFileSync(config, `[runsc]\npath = "${runsc}"\nflags = ["--network=none"]\n[overlay]\nfallback_dir = "${fallbackDir}"\n[log]\nfile = "${dir}/runsc-overlay.log"\nlevel = "info"\n[cache]\ndir = "${dir}/cache"\n`);
  const bundle = busyboxBundle(join(parts, "busybox/bin/busybox"), dir, ["sh", "-c", "dd if=/dev/zero of=/big bs=1M count=64 2>/dev/null; sleep 30"]);
  const call = (...args: string[]) =>
    execa(runtime, ["--root", join(dir, "state"), ...args], { env: { RUNSC_OVERLAY_CONFIG: config }, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  const version = (await execa(runtime, ["--version"], { env: { RUNSC_OVERLAY_CONFIG: config } })).stdout.split("\n")[0];

  console.log(`\n== ${runsc}: ${version}`);
  await call("create", "--bundle", bundle, "--pid-file", join(bundle, "init.pid"), "demo");
  await call("start", "demo");
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let the 64 MiB write land
  const pid = Number(readFileSync(join(bundle, "init.pid"), "utf8"));
  console.log(`   sandbox started with: ${sandboxFlags(pid).join(" ")}`);
  console.log("   root overlay filestore on the host, after writing 64 MiB inside:");
  for (const line of hostFilestores(join(bundle, "rootfs"), fallbackDir)) console.log(`     ${line}`);
  const log = join(dir, "runsc-overlay.log");
  const said = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line).msg as string) : [];
  for (const msg of new Set(said)) console.log(`   runsc-overlay said (on each call): ${msg}`);
  await call("delete", "--force", "demo");
  console.log(`   after delete: ${hostFilestores(join(bundle, "rootfs"), fallbackDir).length} filestore files left`);
}

await fetchParts();
const system = systemRunsc();
for (const runsc of [system, join(parts, "runsc-20240729/usr/bin/runsc")]) if (runsc) await demo(runsc);
