/**
 * The Compose override that runs a project under runsc-overlay: the last `-f` file, which puts every
 * service of the merged model on the runtime, and with host networking, on the host's network
 * namespace in the ways Compose and Docker accept.
 */
import { Document, isScalar, visit } from "yaml";
import type { ComposeService } from "../schema/compose.schema.js";
import type { ComposeProject } from "./compose.js";

export interface OverrideOptions {
  runtime: string;
  hostNetwork: boolean;
}

export interface ComposeOverride {
  text: string;
  /** What the override changes that a user should know of, one line per change. */
  notes: string[];
}

/** A key whose earlier value the override removes: written as `!reset`, which Compose 2.24 and later understand. */
const RESET = "__runsc_overlay_reset__";

export function composeOverride({ files, model }: ComposeProject, options: OverrideOptions): ComposeOverride {
  const notes: string[] = [];
  const services = Object.fromEntries(Object.entries(model.services ?? {}).map(([name, service]) => [name, serviceOverride(name, service!, options, notes)]));
  const doc = new Document({ services });
  visit(doc, {
    Scalar(_, scalar) {
      if (isScalar(scalar) && scalar.value === RESET) Object.assign(scalar, { value: null, tag: "!reset" });
    },
  });
  doc.commentBefore =
    ` Written by runsc-overlay-ctl compose-override from ${files.join(", ")}.\n` +
    ` Give it as the last file: docker compose ${files.map((file) => `-f ${file}`).join(" ")} -f <this file> up`;
  return { text: doc.toString({ nullStr: "null" }), notes };
}

function serviceOverride(name: string, service: ComposeService, options: OverrideOptions, notes: string[]): Record<string, unknown> {
  const override: Record<string, unknown> = { runtime: options.runtime };
  if (service.runtime !== undefined && service.runtime !== options.runtime) notes.push(`${name}: runtime ${service.runtime} is replaced by ${options.runtime}`);
  if (!options.hostNetwork) return override;
  // network_mode "service:x" or "container:x" shares a namespace that is set up elsewhere, and "none" is
  // a choice: either way the service already says where its network is.
  if (service.network_mode !== undefined) {
    if (service.network_mode !== "host") notes.push(`${name}: keeps network_mode: ${service.network_mode}`);
  } else {
    override.network_mode = "host";
    // Compose refuses networks beside network_mode, and Docker refuses links with host networking.
    for (const key of ["networks", "links"] as const) {
      const value = service[key];
      if (value !== undefined && Object.keys(value).length > 0) {
        override[key] = RESET;
        notes.push(`${name}: ${key} removed, as host networking cannot have them (the override uses !reset, Compose 2.24 or later)`);
      }
    }
  }
  // The image is built by the builder, not under gVisor, but on the same host whose network needed working around.
  const build = service.build;
  if (build !== undefined && (typeof build === "string" || build.network === undefined)) {
    override.build = { network: "host" };
  }
  return override;
}
