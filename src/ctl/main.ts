/**
 * runsc-overlay-ctl: the management CLI. Registers the runtime with Docker and containerd, checks a
 * host (doctor), and explains what the runtime would do with a command line. Not on the per-call path.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { Refusal, describe } from "../runtime/errors.js";
import { composeOverride } from "./compose-override.js";
import { ComposeFailed, findCompose, loadComposeProject } from "./compose.js";
import type { ConfigVersion } from "./containerd-config.js";
import { doctor } from "./doctor.js";
import { explain } from "./explain.js";
import { installContainerd, installDocker, installPodman } from "./install.js";
import { podmanConfigFile } from "./podman.js";
import { INSTALLED_LABEL, kubernetesManifest } from "./kubernetes.js";
import { DISTRIBUTION_NAMES } from "./node/distribution.js";
import { nodeInstall } from "./node/install.js";
import { inClusterApi } from "./node/kube-api.js";
import { DEFAULT_SOURCE, type NodeOptions } from "./node/options.js";
import { nodeRun } from "./node/run.js";
import { nodeUninstall } from "./node/uninstall.js";
import { terminal } from "./output.js";
import { replaceFile } from "../shared/replace-file.js";
import { uninstallContainerd, uninstallDocker, uninstallPodman } from "./uninstall.js";

/** Installed as PREFIX/lib/runsc-overlay/ctl.mjs, beside PREFIX/bin/runsc-overlay. */
const INSTALLED_RUNTIME = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/runsc-overlay");

const DOCKER_CONFIG = "/etc/docker/daemon.json";
const CONTAINERD_CONFIG = "/etc/containerd/config.toml";

const name = () => new Option("--name <name>", "the runtime's name in the engine").default("runsc-overlay");
const runtime = () => new Option("--runtime <path>", "the runsc-overlay launcher to register").default(INSTALLED_RUNTIME);
const dockerConfig = () => new Option("--config-file <file>", "Docker's daemon.json").default(DOCKER_CONFIG);
const containerdConfig = () => new Option("--config <file>", "containerd's main config.toml").default(CONTAINERD_CONFIG);

function configVersion(value: string): ConfigVersion {
  if (value === "2" || value === "3") return Number(value) as ConfigVersion;
  throw new InvalidArgumentError("2 (containerd 1.x) or 3 (containerd 2.x)");
}

const program = new Command("runsc-overlay-ctl")
  .description("Registers runsc-overlay with Docker, containerd and Podman, and checks a host's setup")
  .showHelpAfterError()
  .enablePositionalOptions();

const install = program.command("install").description("register runsc-overlay with an engine");
install
  .command("docker")
  .description("add the runtime to daemon.json and reload dockerd")
  .addOption(dockerConfig())
  .addOption(name())
  .addOption(runtime())
  .option("--runtime-arg <arg>", "a flag for every runsc call (repeatable)", (arg: string, all: string[]) => [...all, arg], [])
  .option("--default", "make it Docker's default runtime", false)
  .option("--dry-run", "print the resulting daemon.json and change nothing", false)
  .action((o) =>
    installDocker({ configFile: o.configFile, name: o.name, runtime: o.runtime, runtimeArgs: o.runtimeArg, makeDefault: o.default, dryRun: o.dryRun }, process.env, terminal),
  );
install
  .command("containerd")
  .description("add a CRI runtime handler that runs pods through gVisor's shim with runsc-overlay as its runsc")
  .addOption(containerdConfig())
  .addOption(name())
  .addOption(runtime())
  .addOption(new Option("--config-version <n>", "config version for a new config.toml (default: from containerd --version)").argParser(configVersion))
  .option("--pod-annotations <pattern...>", "pod annotations the handler passes into the bundle (containerd's pod_annotations), such as 'dev.gvisor.*'", [])
  .option("--dry-run", "print the shim's options file and the resulting config.toml and change nothing", false)
  .action((o) =>
    installContainerd(
      { configFile: o.config, name: o.name, runtime: o.runtime, configVersion: o.configVersion, podAnnotations: o.podAnnotations, dryRun: o.dryRun },
      process.env,
      terminal,
    ),
  );

install
  .command("podman")
  .description("add the runtime to Podman's containers.conf (a drop-in of its own, or the file CONTAINERS_CONF names)")
  .addOption(new Option("--config <file>", "the containers.conf file to edit").default(podmanConfigFile(process.env)))
  .addOption(name())
  .addOption(runtime())
  .option("--default", "make it Podman's default runtime", false)
  .option("--dry-run", "print the resulting file and change nothing", false)
  .action((o) => installPodman({ configFile: o.config, name: o.name, runtime: o.runtime, makeDefault: o.default, dryRun: o.dryRun }, process.env, terminal));

const uninstall = program.command("uninstall").description("remove what install added");
uninstall
  .command("docker")
  .addOption(dockerConfig())
  .addOption(name())
  .action((o) => uninstallDocker(o.configFile, o.name, process.env, terminal));
uninstall
  .command("containerd")
  .addOption(containerdConfig())
  .addOption(name())
  .action((o) => uninstallContainerd(o.config, o.name, terminal));

uninstall
  .command("podman")
  .addOption(new Option("--config <file>", "the containers.conf file install edited").default(podmanConfigFile(process.env)))
  .action((o) => uninstallPodman(o.config, terminal));

program
  .command("doctor")
  .description("check this host's setup: config, runsc, overlay, files, Docker and containerd")
  .addOption(name())
  .option("--docker-config <file>", "Docker's daemon.json", DOCKER_CONFIG)
  .option("--containerd-config <file>", "containerd's main config.toml", CONTAINERD_CONFIG)
  .option("--json", "print the checks as JSON", false)
  .action(async (o) => {
    const checks = await doctor({ name: o.name, dockerConfig: o.dockerConfig, containerdConfig: o.containerdConfig }, process.env);
    const failed = checks.some((check) => check.status === "fail");
    if (o.json) terminal.print(JSON.stringify({ ok: !failed, checks }, null, 2));
    else terminal.print(checks.map((check) => `${check.status.padEnd(4)}  ${check.check.padEnd(18)}  ${check.detail}`).join("\n"));
    process.exitCode = failed ? 1 : 0;
  });

program
  .command("explain")
  .description("print the runsc command line runsc-overlay would exec for a runtime call, and why")
  .usage("-- <runtime argv...>")
  .argument("<argv...>")
  .passThroughOptions()
  .action((argv: string[]) => {
    const { text, refused } = explain(argv, process.env);
    terminal.print(text);
    process.exitCode = refused ? 1 : 0;
  });

program
  .command("kubernetes")
  .description("print the RuntimeClass manifest and containerd's pod_annotations line")
  .addOption(name())
  .action((o) => terminal.print(kubernetesManifest(o.name)));

program
  .command("compose-override")
  .description("write a Compose override that runs every service of a project under runsc-overlay")
  .argument("<compose-file...>", "the project's Compose files, in the order given to docker compose -f")
  .addOption(name())
  .option("-o, --output <file>", "write the override there instead of stdout")
  .option("--host-network", "also put every service on the host's network (network_mode: host)", false)
  .option("--compose <command>", "the Compose to load the project with (default: docker compose, else docker-compose)")
  .action(async (files, o) => {
    const compose = await findCompose(o.compose, process.env);
    terminal.say(`loading the project with ${compose.command.join(" ")} ${compose.version}`);
    const { text, notes } = composeOverride(await loadComposeProject(compose, files, process.env), { runtime: o.name, hostNetwork: o.hostNetwork });
    for (const note of notes) terminal.say(note);
    if (o.output === undefined) return terminal.print(text);
    replaceFile(o.output, Buffer.from(text));
    terminal.say(`wrote ${o.output}`);
  });

const node = program.command("node").description("the node installer that runsc-overlay's DaemonSet runs, with the node's / mounted at --host-root");
for (const [verb, description] of [
  ["run", "install, then uninstall when stopped (SIGTERM): the DaemonSet's command"],
  ["install", "install the runtime and gVisor on the node, register the handler with its containerd, restart it, and label the node"],
  ["uninstall", "undo install: the label, the handler, the restart, and the files"],
] as const) {
  node
    .command(verb)
    .description(description)
    .option("--host-root <dir>", "where the node's / is mounted", "/host")
    .option("--dir <path>", "the node's directory for the runtime and gVisor's binaries", "/opt/runsc-overlay")
    .addOption(new Option("--distribution <name>", "how the node runs containerd (default: detected)").choices(DISTRIBUTION_NAMES))
    .option("--containerd-config <path>", "the node's containerd config the handler is judged against (default: the distribution's)")
    .option("--containerd <path>", "the node's containerd binary (default: the distribution's)")
    .addOption(name())
    .option("--pod-annotations <pattern...>", "pod annotations the handler passes into the bundle", [])
    .option("--shim-link-dir <path>", "a node directory on containerd's PATH, for a link to gVisor's shim (containerd 1.x only)", "/usr/local/bin")
    .option("--config <file>", "runsc-overlay's config.toml to install on the node (default: the defaults)")
    .option("--no-restart", "do not restart containerd (the caller will); the node is then not labelled")
    .option("--restart-command <command>", "the node's own command to restart containerd, where it has no systemd (run with the node's /bin/sh)")
    .option("--node-name <name>", "the node to label (default: $NODE_NAME)", process.env.NODE_NAME)
    .option("--label <key>", "the node label the RuntimeClass selects", INSTALLED_LABEL)
    .option("--gvisor <dir>", "where gVisor's runsc and containerd-shim-runsc-v1 are", DEFAULT_SOURCE.gvisor)
    .action(async (o) => {
      const options: NodeOptions = {
        hostRoot: o.hostRoot,
        dir: o.dir,
        distribution: o.distribution,
        containerdConfig: o.containerdConfig,
        containerd: o.containerd,
        name: o.name,
        podAnnotations: o.podAnnotations,
        shimLinkDir: o.shimLinkDir,
        config: o.config,
        noRestart: !o.restart,
        restartCommand: o.restartCommand,
        nodeName: o.nodeName,
        label: o.label,
        source: { ...DEFAULT_SOURCE, gvisor: o.gvisor },
      };
      const api = inClusterApi(process.env);
      if (verb === "uninstall") await nodeUninstall(options, api, terminal);
      else await (verb === "run" ? nodeRun : nodeInstall)(options, api, process.env, terminal);
    });
}

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof ComposeFailed) {
    // Which file, where that can be known; then Compose's own words, and its exit status.
    for (const problem of error.problems) terminal.say(problem);
    process.stderr.write(error.stderr.endsWith("\n") ? error.stderr : `${error.stderr}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`runsc-overlay-ctl: ${error instanceof Refusal ? error.message : `internal error: ${describe(error)}`}\n`);
    process.exitCode = 1;
  }
}
