/**
 * The argv contract, one command line a row: every shape of shared/docs/runtime-contract.md, both
 * Debian runsc grammars, repeated and conflicting overlay flags, and values no shell should touch.
 * plan.test.ts checks the plan of each; fast-path.test.ts runs each through both paths of the launcher.
 */
import type { RunscVersion } from "../helpers/capabilities.js";

export const SELF = "--overlay2=root:self";
export const FALLBACK = "--overlay2=root:/var/lib/runsc-overlay/filestore";
const DOCKER = ["--root", "/var/run/docker/runtime-runc/moby", "--log", "/b/log.json", "--log-format", "json"];
const SHIM = ["--root=/run/containerd/runsc/k8s.io", "--log=/b/log.json", "--log-format=json", "--panic-log=/b/panic.log"];
const PODMAN = ["--log-format=json", "--log", "/u/oci-log"];
const ODD = "/tmp/a b/'q\"/$(x)/`y`/\n/$HOME\\";

export interface Row {
  name: string;
  argv: string[];
  version?: RunscVersion;
  config?: string;
  /** The runsc argv expected, after R. */
  runsc?: string[];
  refusal?: RegExp;
}

export const rows: Row[] = [
  // Subcommands that choose their own overlay whatever --overlay2 says.
  { name: "runsc do, which sets its own overlay", argv: ["--root", "/r", "do", "--", "sh"], refusal: /^runsc do sets its own overlay .* so runsc-overlay cannot apply overlay\.overlay2 of \/etc\/runsc-overlay\/config\.toml: run it with runsc itself$/ },
  { name: "a subcommand word that names an Object method is runsc's to judge", argv: ["toString", "c1"], runsc: [SELF, "toString", "c1"] },
  { name: "runsc sandboxexec, which runs root:memory", argv: ["sandboxexec", "c1", "sh"], version: "20260817", refusal: /^runsc sandboxexec runs its sandbox on root:memory/ },
  // The upper layer's size cap, where runsc has the suffix, and a clear refusal where it has not.
  { name: "a size cap on the current gVisor", argv: ["create", "--bundle", "/b", "c1"], version: "20260817", config: '[overlay]\noverlay2 = "root:self,size=64m"', runsc: ["--overlay2=root:self,size=64m", "create", "--bundle", "/b", "c1"] },
  { name: "a size cap on Debian 13's runsc, which has no size suffix", argv: ["create", "--bundle", "/b", "c1"], config: '[overlay]\noverlay2 = "root:self,size=64m"', refusal: /^runsc 0\.0~20240729\.0 has no `,size=` suffix \(added in release-20250611\.0\), so overlay\.overlay2 = "root:self,size=64m" .* cannot be applied/ },
  { name: "a size cap on Debian 12's runsc", argv: ["start", "c1"], version: "20221219", config: '[overlay]\noverlay2 = "root:self,size=64m"', refusal: /^runsc 0\.0~20221219\.0 has no `,size=` suffix \(added in release-20250611\.0\)/ },
  { name: "the current gVisor's create --fs-restore-image-path passes through", argv: ["create", "--bundle", "/b", "--fs-restore-image-path", "/img", "c1"], version: "20260817", runsc: [SELF, "create", "--bundle", "/b", "--fs-restore-image-path", "/img", "c1"] },
  // Docker through the runc-v2 shim.
  { name: "docker create", argv: [...DOCKER, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c1"], runsc: [...DOCKER, SELF, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c1"] },
  { name: "docker create with console socket and systemd cgroup", argv: [...DOCKER, "--systemd-cgroup", "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/s.sock", "c1"], runsc: [...DOCKER, "--systemd-cgroup", SELF, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/s.sock", "c1"] },
  // runc's create flags, which runsc's create does not define (runsc alone fails on them too): the bundle cannot be known for sure.
  { name: "docker create with runc's --no-pivot and --preserve-fds", argv: [...DOCKER, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--no-pivot", "--no-new-keyring", "--preserve-fds", "2", "c1"], refusal: /runsc create: flag provided but not defined: --no-pivot: runsc-overlay refuses/ },
  { name: "docker runtimeArgs come before the shim's flags", argv: ["--network=none", "--platform=systrap", ...DOCKER, "start", "c1"], runsc: ["--network=none", "--platform=systrap", ...DOCKER, SELF, "start", "c1"] },
  { name: "docker runtimeArgs asking for a memory overlay lose it", argv: ["--overlay2=root:memory", ...DOCKER, "start", "c1"], runsc: [...DOCKER, SELF, "start", "c1"] },
  { name: "start", argv: [...DOCKER, "start", "c1"], runsc: [...DOCKER, SELF, "start", "c1"] },
  { name: "state", argv: [...DOCKER, "state", "c1"], runsc: [...DOCKER, SELF, "state", "c1"] },
  { name: "kill", argv: [...DOCKER, "kill", "c1", "9"], runsc: [...DOCKER, SELF, "kill", "c1", "9"] },
  { name: "kill --all", argv: [...DOCKER, "kill", "--all", "c1", "15"], runsc: [...DOCKER, SELF, "kill", "--all", "c1", "15"] },
  { name: "delete", argv: [...DOCKER, "delete", "c1"], runsc: [...DOCKER, SELF, "delete", "c1"] },
  { name: "delete --force", argv: [...DOCKER, "delete", "--force", "c1"], runsc: [...DOCKER, SELF, "delete", "--force", "c1"] },
  { name: "exec", argv: [...DOCKER, "exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/b/e1.pid", "c1"], runsc: [...DOCKER, SELF, "exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/b/e1.pid", "c1"] },
  { name: "ps", argv: [...DOCKER, "ps", "--format", "json", "c1"], runsc: [...DOCKER, SELF, "ps", "--format", "json", "c1"] },
  { name: "pause", argv: [...DOCKER, "pause", "c1"], runsc: [...DOCKER, SELF, "pause", "c1"] },
  { name: "resume", argv: [...DOCKER, "resume", "c1"], runsc: [...DOCKER, SELF, "resume", "c1"] },
  { name: "update reads stdin", argv: [...DOCKER, "update", "--resources=-", "c1"], runsc: [...DOCKER, SELF, "update", "--resources=-", "c1"] },
  { name: "checkpoint", argv: [...DOCKER, "checkpoint", "--image-path", "/img", "--leave-running", "c1"], runsc: [...DOCKER, SELF, "checkpoint", "--image-path", "/img", "--leave-running", "c1"] },
  { name: "restore with -no-subreaper", argv: [...DOCKER, "restore", "--image-path", "/img", "--detach", "--pid-file", "/b/init.pid", "-no-subreaper", "--bundle", "/b", "c1"], runsc: [...DOCKER, SELF, "restore", "--image-path", "/img", "--detach", "--pid-file", "/b/init.pid", "-no-subreaper", "--bundle", "/b", "c1"] },
  { name: "foreground run", argv: ["--root", "/r", "run", "--bundle", "/b", "c1"], runsc: ["--root", "/r", SELF, "run", "--bundle", "/b", "c1"] },
  { name: "containerd k8s root with --k=v flags", argv: ["--root=/run/containerd/runc/k8s.io", "--log=/b/log.json", "--log-format=json", "--systemd-cgroup", "create", "--bundle=/b", "c1"], runsc: ["--root=/run/containerd/runc/k8s.io", "--log=/b/log.json", "--log-format=json", "--systemd-cgroup", SELF, "create", "--bundle=/b", "c1"] },
  // gVisor's own shim: --k=v pairs in any order, runsc-only subcommands.
  { name: "gVisor shim wait", argv: [...SHIM, "--debug=true", "--platform=systrap", "wait", "c1"], runsc: [...SHIM, "--debug=true", "--platform=systrap", SELF, "wait", "c1"] },
  { name: "gVisor shim kill --pid", argv: [...SHIM, "kill", "--pid", "12", "c1", "9"], runsc: [...SHIM, SELF, "kill", "--pid", "12", "c1", "9"] },
  { name: "gVisor shim exec --internal-pid-file", argv: ["--platform=systrap", ...SHIM, "exec", "--internal-pid-file", "/b/i.pid", "--process", "/p.json", "c1"], runsc: ["--platform=systrap", ...SHIM, SELF, "exec", "--internal-pid-file", "/b/i.pid", "--process", "/p.json", "c1"] },
  // gVisor's shim under containerd's CRI, as recorded from the Kubernetes suite (a pod sandbox's calls carry --panic-log and --user-log).
  { name: "gVisor shim create, a pod sandbox", argv: [...SHIM, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--user-log", "/pods/gvisor.log", "c1"], runsc: [...SHIM, SELF, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--user-log", "/pods/gvisor.log", "c1"] },
  { name: "gVisor shim create, an app container", argv: [...SHIM.slice(0, 3), "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c2"], runsc: [...SHIM.slice(0, 3), SELF, "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c2"] },
  { name: "gVisor shim exec for ExecSync", argv: [...SHIM.slice(0, 3), "exec", "--process", "/tmp/runsc-process1", "--detach", "--pid-file", "/b/e.pid", "--internal-pid-file", "/b/e-internal.pid", "c2"], runsc: [...SHIM.slice(0, 3), SELF, "exec", "--process", "/tmp/runsc-process1", "--detach", "--pid-file", "/b/e.pid", "--internal-pid-file", "/b/e-internal.pid", "c2"] },
  { name: "gVisor shim kill --all, again after the sandbox is gone", argv: [...SHIM, "kill", "--all", "c1", "9"], runsc: [...SHIM, SELF, "kill", "--all", "c1", "9"] },
  { name: "gVisor shim create --user-log", argv: [...SHIM, "--overlay2=all:memory", "create", "--bundle", "/b", "--user-log", "/b/user.log", "c1"], runsc: [...SHIM, SELF, "create", "--bundle", "/b", "--user-log", "/b/user.log", "c1"] },
  // Podman through conmon: no global flags, but JSON errors to <userdata>/oci-log for runtimes in runtime_supports_json.
  { name: "podman create", argv: [...PODMAN, "create", "--bundle", "/b", "--pid-file", "/u/pidfile", "c1"], runsc: [...PODMAN, SELF, "create", "--bundle", "/b", "--pid-file", "/u/pidfile", "c1"] },
  { name: "podman create with a console socket", argv: [...PODMAN, "create", "--bundle", "/b", "--pid-file", "/u/pidfile", "--console-socket", "/u/s", "c1"], runsc: [...PODMAN, SELF, "create", "--bundle", "/b", "--pid-file", "/u/pidfile", "--console-socket", "/u/s", "c1"] },
  { name: "podman create --no-pivot, which runsc create does not take", argv: [...PODMAN, "create", "--bundle", "/b", "--pid-file", "/u/pidfile", "--no-pivot", "c1"], refusal: /runsc create: flag provided but not defined: --no-pivot: runsc-overlay refuses/ },
  { name: "podman exec", argv: ["exec", "--pid-file", "/u/e.pid", "--process", "/u/p.json", "--detach", "c1"], runsc: [SELF, "exec", "--pid-file", "/u/e.pid", "--process", "/u/p.json", "--detach", "c1"] },
  { name: "podman exec -t, which runsc exec does not take", argv: ["exec", "--pid-file", "/u/e.pid", "--process", "/u/p.json", "--detach", "--tty", "--console-socket", "/u/s", "c1"], runsc: [SELF, "exec", "--pid-file", "/u/e.pid", "--process", "/u/p.json", "--detach", "--tty", "--console-socket", "/u/s", "c1"] },
  { name: "podman kill --all", argv: ["kill", "--all", "c1", "9"], runsc: [SELF, "kill", "--all", "c1", "9"] },
  { name: "podman delete --force", argv: ["delete", "--force", "c1"], runsc: [SELF, "delete", "--force", "c1"] },
  { name: "podman update", argv: ["update", "--resources=/u/r.json", "c1"], runsc: [SELF, "update", "--resources=/u/r.json", "c1"] },
  { name: "podman checkpoint --help", argv: ["checkpoint", "--help"], runsc: [SELF, "checkpoint", "--help"] },
  // Calls with no subcommand pass through untouched.
  { name: "--version", argv: ["--version"], runsc: ["--version"] },
  { name: "-version", argv: ["-version"], runsc: ["-version"] },
  { name: "--version with global flags", argv: ["--root", "/r", "--overlay2=root:memory", "--version"], runsc: ["--root", "/r", "--overlay2=root:memory", "--version"] },
  { name: "no arguments at all", argv: [], runsc: [] },
  // Incoming overlay flags, every form, removed; ours inserted once.
  { name: "--overlay2 with a separate value", argv: ["--overlay2", "root:memory", "--root", "/r", "start", "c1"], runsc: ["--root", "/r", SELF, "start", "c1"] },
  { name: "-overlay2 repeated, both forms", argv: ["-overlay2=all:memory", "--root", "/r", "-overlay2", "none", "start", "c1"], runsc: ["--root", "/r", SELF, "start", "c1"] },
  { name: "deprecated --overlay", argv: ["--overlay", "--root", "/r", "start", "c1"], runsc: ["--root", "/r", SELF, "start", "c1"] },
  { name: "deprecated -overlay=false", argv: ["-overlay=false", "start", "c1"], runsc: [SELF, "start", "c1"] },
  { name: "overlay flags after the subcommand are runsc's to reject", argv: ["start", "--overlay2=none", "c1"], runsc: [SELF, "start", "--overlay2=none", "c1"] },
  { name: "a boolean flag never takes the next word", argv: ["--debug", "start", "c1"], runsc: ["--debug", SELF, "start", "c1"] },
  { name: "--debug false: false is the subcommand", argv: ["--debug", "false", "start"], runsc: ["--debug", SELF, "false", "start"] },
  { name: "single-dash valued flags", argv: ["-root", "/r", "-log", "/l", "-log-format", "text", "state", "c1"], runsc: ["-root", "/r", "-log", "/l", "-log-format", "text", SELF, "state", "c1"] },
  { name: "-- ends the flags: insert before it", argv: ["--root", "/r", "--", "start", "c1"], runsc: ["--root", "/r", SELF, "--", "start", "c1"] },
  { name: "a back-quoted boolean (-net-raw)", argv: ["--net-raw", "start", "c1"], runsc: ["--net-raw", SELF, "start", "c1"] },
  { name: "a back-quoted valued flag (-metric-server)", argv: ["--metric-server", ":9000", "start", "c1"], runsc: ["--metric-server", ":9000", SELF, "start", "c1"] },
  { name: "-gvisor-gro is boolean in 20240729", argv: ["--gvisor-gro", "start", "c1"], runsc: ["--gvisor-gro", SELF, "start", "c1"] },
  { name: "-gvisor-gro takes a duration in 20221219", version: "20221219", argv: ["--gvisor-gro", "5us", "start", "c1"], runsc: ["--gvisor-gro", "5us", FALLBACK, "start", "c1"] },
  // runsc rejects these itself, in its own words: leave them to it.
  { name: "an unknown flag", argv: ["--bogus", "--overlay2=root:memory", "start", "c1"], runsc: ["--bogus", "--overlay2=root:memory", "start", "c1"] },
  { name: "a valued flag without its value", argv: ["--root"], runsc: ["--root"] },
  { name: "-help", argv: ["-help"], runsc: ["-help"] },
  // Values that no shell may touch.
  { name: "values with spaces, quotes, newlines, $ and backticks", argv: ["--root", ODD, `--log=${ODD}/log.json`, "create", "--bundle", ODD, ODD], runsc: ["--root", ODD, `--log=${ODD}/log.json`, SELF, "create", "--bundle", ODD, ODD] },
  { name: "a subcommand word with a newline", argv: ["--root", "/r", "state\n", "c1"], runsc: ["--root", "/r", SELF, "state\n", "c1"] },
  // Debian 12's runsc: no `self`, plain-path grammar.
  { name: "20221219: self falls back to the filestore dir", version: "20221219", argv: [...DOCKER, "create", "--bundle", "/b", "c1"], runsc: [...DOCKER, FALLBACK, "create", "--bundle", "/b", "c1"] },
  { name: "20221219: caller's overlay removed before the fallback", version: "20221219", argv: ["--overlay2=root:self", "start", "c1"], runsc: [FALLBACK, "start", "c1"] },
  { name: "20221219: memory is understood", version: "20221219", config: '[overlay]\noverlay2 = "root:memory"', argv: ["start", "c1"], runsc: ["--overlay2=root:memory", "start", "c1"] },
  { name: "20221219: dir= becomes a plain path", version: "20221219", config: '[overlay]\noverlay2 = "all:dir=/srv/fs"', argv: ["start", "c1"], runsc: ["--overlay2=all:/srv/fs", "start", "c1"] },
  { name: "20221219: custom fallback dir", version: "20221219", config: '[overlay]\nfallback_dir = "/srv/store"', argv: ["start", "c1"], runsc: ["--overlay2=root:/srv/store", "start", "c1"] },
  { name: "20221219: passthrough inserts no overlay", version: "20221219", config: '[overlay]\nfallback = "passthrough"', argv: ["--overlay2=root:memory", "start", "c1"], runsc: ["start", "c1"] },
  { name: "20221219: fallback = fail refuses", version: "20221219", config: '[overlay]\nfallback = "fail"', argv: ["start", "c1"], refusal: /0\.0~20221219\.0 has no `self` medium.*overlay\.overlay2 = "root:self"/ },
  // Other overlay settings on 20240729.
  { name: "dir= is kept", config: '[overlay]\noverlay2 = "root:dir=/srv/fs"', argv: ["start", "c1"], runsc: ["--overlay2=root:dir=/srv/fs", "start", "c1"] },
  { name: "all:self", config: '[overlay]\noverlay2 = "all:self"', argv: ["start", "c1"], runsc: ["--overlay2=all:self", "start", "c1"] },
  { name: "none", config: '[overlay]\noverlay2 = "none"', argv: ["--overlay2=root:memory", "start", "c1"], runsc: ["--overlay2=none", "start", "c1"] },
  { name: "a size cap this runsc lacks is refused", config: '[overlay]\noverlay2 = "root:self,size=1g"', argv: ["start", "c1"], refusal: /has no `,size=` suffix/ },
  // runsc.flags.
  { name: "runsc.flags go before the overlay, after the caller's flags", config: '[runsc]\nflags = ["--network=host", "--debug"]', argv: ["--network=none", "start", "c1"], runsc: ["--network=none", "--network=host", "--debug", SELF, "start", "c1"] },
  { name: "runsc.flags with a flag runsc lacks is refused", config: '[runsc]\nflags = ["--no-such-flag=1"]', argv: ["start", "c1"], refusal: /runsc\.flags entry "--no-such-flag=1".*has no global flag --no-such-flag/ },
  { name: "runsc.flags with a valued flag missing =", config: '[runsc]\nflags = ["--network"]', argv: ["start", "c1"], refusal: /write it as "--network=VALUE"/ },
  // Shared file access cannot sit under an overlaid root.
  { name: "caller's --file-access=shared is refused", argv: ["--file-access=shared", "start", "c1"], refusal: /--file-access=shared \(from the caller's command line.*conflicts with --overlay2=root:self/ },
  { name: "caller's --file-access shared with its own overlay none is still refused", argv: ["--file-access", "shared", "--overlay2=none", "start", "c1"], refusal: /conflicts with --overlay2=root:self/ },
  { name: "runsc.flags --file-access=shared is refused", config: '[runsc]\nflags = ["--file-access=shared"]', argv: ["start", "c1"], refusal: /from runsc\.flags in \/etc\/runsc-overlay\/config\.toml/ },
  { name: "runsc.flags exclusive overrides the caller's shared", config: '[runsc]\nflags = ["--file-access=exclusive"]', argv: ["--file-access=shared", "start", "c1"], runsc: ["--file-access=shared", "--file-access=exclusive", SELF, "start", "c1"] },
  { name: "shared access with overlay none is allowed", config: '[overlay]\noverlay2 = "none"', argv: ["--file-access=shared", "start", "c1"], runsc: ["--file-access=shared", "--overlay2=none", "start", "c1"] },
  { name: "20221219 passthrough: shared access with runsc's default (none) is allowed", version: "20221219", config: '[overlay]\nfallback = "passthrough"', argv: ["--file-access=shared", "start", "c1"], runsc: ["--file-access=shared", "start", "c1"] },
];
