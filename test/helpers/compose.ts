/** The real Compose, for the tests that check compose-override against it. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { COMPOSE } from "./paths.js";
import { workdir } from "./runtime.js";

const shop = join(import.meta.dirname, "../ctl/fixtures/compose/shop");
/** A project of seven services, a -f override and a file of base services for extends. */
export const SHOP = [join(shop, "compose.yaml"), join(shop, "compose.prod.yaml")];

export interface ComposeServiceConfig {
  runtime?: string;
  network_mode?: string;
  networks?: Record<string, unknown>;
  links?: string[];
  build?: { context?: string; network?: string };
}

/** The model the real Compose makes of these files: `docker-compose config`, which needs no engine. */
export async function composeConfig(files: string[]): Promise<Record<string, ComposeServiceConfig>> {
  const { stdout } = await execa(COMPOSE, [...files.flatMap((file) => ["-f", file]), "config", "--format", "json"], { env: { PATH: "/usr/bin:/bin" } });
  return JSON.parse(stdout).services;
}

/** A Compose file holding `text`, named `name`, alone in a new directory. */
export function composeFile(text: string, name = "compose.yaml"): string {
  const file = join(workdir("compose"), name);
  writeFileSync(file, text);
  return file;
}
