import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/runtime/config.js";

describe("config.toml.example", () => {
  it("parses, and documents exactly the defaults", () => {
    const example = readFileSync(new URL("../config.toml.example", import.meta.url), "utf8");
    expect(parseConfig(example, "config.toml.example")).toEqual(parseConfig("", "empty"));
  });
});
