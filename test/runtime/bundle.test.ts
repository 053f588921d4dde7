import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec, mayHoldOverlayKeys, readBundle, rewriteBundle, stripAnnotations } from "../../src/runtime/bundle.js";
import { judgeAnnotation } from "../../src/runtime/policy.js";

/** The policy's judge for the newest runsc, nothing allowed. */
const enforce = (key: string) => judgeAnnotation(key, undefined, []).action;

/** The strip of a file whose bytes are `text` in UTF-8, read back as UTF-8. */
const strip = (text: string) => {
  const { bytes, removed, refused } = stripAnnotations(Buffer.from(text), enforce);
  return { text: bytes.toString(), removed, ...(refused.length > 0 ? { refused } : {}) };
};

describe("stripAnnotations", () => {
  it.each([
    {
      name: "one of several, keeping the others and the layout",
      input: '{\n  "ociVersion": "1.0.2",\n  "annotations": {\n    "a": "1",\n    "dev.gvisor.flag.overlay2": "root:memory",\n    "b": "2"\n  }\n}',
      output: '{\n  "ociVersion": "1.0.2",\n  "annotations": {\n    "a": "1",\n    "b": "2"\n  }\n}',
      removed: ["dev.gvisor.flag.overlay2"],
    },
    {
      name: "the last one, with the comma before it",
      input: '{"annotations":{"a":"1","dev.gvisor.bundle.experimental-high-performance":"true"}}',
      output: '{"annotations":{"a":"1"}}',
      removed: ["dev.gvisor.bundle.experimental-high-performance"],
    },
    {
      name: "the only one",
      input: '{"annotations":{"dev.gvisor.flag.overlay":"true"}}',
      output: '{"annotations":{}}',
      removed: ["dev.gvisor.flag.overlay"],
    },
    {
      name: "several families, a key gVisor's inventory does not know, and a repeated key",
      input: '{"annotations":{"dev.gvisor.flag.overlay2":"x","keep":"y","dev.gvisor.flag.overlay":"true","dev.gvisor.flag.directfs":"true","dev.gvisor.future.root":"x","dev.gvisor.spec.mount.v.share":"pod","dev.gvisor.flag.overlay2":"z"}}',
      output: '{"annotations":{"keep":"y","dev.gvisor.spec.mount.v.share":"pod"}}',
      removed: ["dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay", "dev.gvisor.flag.directfs", "dev.gvisor.future.root", "dev.gvisor.flag.overlay2"],
    },
    {
      name: "a rootfs hint, refused whole with nothing removed",
      input: '{"annotations":{"dev.gvisor.flag.overlay2":"x","dev.gvisor.spec.rootfs.source":"/any","dev.gvisor.spec.rootfs.type":"bind"}}',
      output: '{"annotations":{"dev.gvisor.flag.overlay2":"x","dev.gvisor.spec.rootfs.source":"/any","dev.gvisor.spec.rootfs.type":"bind"}}',
      removed: [],
      refused: ["dev.gvisor.spec.rootfs.source", "dev.gvisor.spec.rootfs.type"],
    },
    {
      name: "a tar upper layer spelled with an escape, in a second annotations object",
      input: '{"annotations":{"a":"b"},"ANNOTATIONS":{"dev.gvisor.tar.rootfs.uppe\\u0072":"/t.tar"}}',
      output: '{"annotations":{"a":"b"},"ANNOTATIONS":{"dev.gvisor.tar.rootfs.uppe\\u0072":"/t.tar"}}',
      removed: [],
      refused: ["dev.gvisor.tar.rootfs.upper"],
    },
    {
      name: "a key spelled with a JSON escape",
      input: '{"annotations":{"dev.gvisor.flag.overlay\\u0032":"root:memory"}}',
      output: '{"annotations":{}}',
      removed: ["dev.gvisor.flag.overlay2"],
    },
    {
      name: "every annotations object Go would merge, whatever its case",
      input: '{"Annotations":{"dev.gvisor.flag.overlay2":"a"},"ANNOTATIONS":{"dev.gvisor.flag.overlay2":"b"},"annotation\u017f":{"dev.gvisor.flag.overlay2":"c"}}',
      output: '{"Annotations":{},"ANNOTATIONS":{},"annotation\u017f":{}}',
      removed: ["dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay2", "dev.gvisor.flag.overlay2"],
    },
    {
      name: "a field name folded by Go, written with an escape (annotation\\u017f)",
      input: '{"annotation\\u017f":{"dev.gvisor.flag.overlay2":"b"}}',
      output: '{"annotation\\u017f":{}}',
      removed: ["dev.gvisor.flag.overlay2"],
    },
    {
      name: "nothing to remove: not even whitespace changes",
      input: '{ "annotations" : { "dev.gvisor.flag.debug" : "true" } ,"process":{"args":["sh"]}}',
      output: '{ "annotations" : { "dev.gvisor.flag.debug" : "true" } ,"process":{"args":["sh"]}}',
      removed: [],
    },
    {
      name: "annotations nested elsewhere are not the bundle's",
      input: '{"process":{"annotations":{"dev.gvisor.flag.overlay2":"x"}}}',
      output: '{"process":{"annotations":{"dev.gvisor.flag.overlay2":"x"}}}',
      removed: [],
    },
  ] as { name: string; input: string; output: string; removed: string[]; refused?: string[] }[])("$name", ({ input, output, removed, refused }) => {
    expect(strip(input)).toEqual({ text: output, removed, ...(refused ? { refused } : {}) });
  });

  it("finds annotationſ in a file that is not valid UTF-8, as Go does, and keeps every other byte", () => {
    const head = Buffer.from('{"process":{"env":["A=');
    const rest = Buffer.from('"]},"annotation\u017f":{"dev.gvisor.flag.overlay2":"root:memory","k":"v"}}');
    const { bytes, removed } = stripAnnotations(Buffer.concat([head, Buffer.from([0xff]), rest]), enforce);
    expect(removed).toEqual(["dev.gvisor.flag.overlay2"]);
    expect(bytes.equals(Buffer.concat([head, Buffer.from([0xff]), Buffer.from('"]},"annotation\u017f":{"k":"v"}}')]))).toBe(true);
  });

  it("keeps 64-bit numbers and unknown fields exactly", () => {
    const input = '{"linux":{"resources":{"memory":{"limit":9223372036854775807}}},"x-unknown":[1.50,2e3],"annotations":{"dev.gvisor.flag.overlay2":"root:memory"}}';
    expect(strip(input).text).toBe('{"linux":{"resources":{"memory":{"limit":9223372036854775807}}},"x-unknown":[1.50,2e3],"annotations":{}}');
  });
});

describe("readBundle and rewriteBundle", () => {
  const bundleWith = (bytes: Buffer | string) => {
    const dir = mkdtempSync(join(tmpdir(), "rso-bundle-"));
    writeFileSync(join(dir, "config.json"), bytes);
    return dir;
  };

  it("rewrites byte for byte outside the removed annotation, non-UTF-8 bytes and mode included", () => {
    const head = Buffer.from('{"process":{"env":["A=');
    const tail = Buffer.from('"]},"annotations":{"dev.gvisor.flag.overlay2":"root:memory","k":"v"}}');
    const dir = bundleWith(Buffer.concat([head, Buffer.from([0xff, 0xfe, 0xc3]), tail]));
    chmodSync(join(dir, "config.json"), 0o640);
    const bundle = readBundle(dir, undefined);
    rewriteBundle({ bundle, ...stripAnnotations(bundle.raw, enforce) });
    const expected = Buffer.concat([head, Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"]},"annotations":{"k":"v"}}')]);
    expect(readFileSync(join(dir, "config.json")).equals(expected)).toBe(true);
    expect(statSync(join(dir, "config.json")).mode & 0o777).toBe(0o640);
  });

  it("reads the file runsc opens: the --bundle path joined and cleaned lexically, in its bytes", () => {
    const dir = bundleWith('{"ociVersion":"1.0.2"}');
    const odd = Buffer.concat([Buffer.from(`${dir}/b`), Buffer.from([0xff])]);
    mkdirSync(odd);
    writeFileSync(Buffer.concat([odd, Buffer.from("/config.json")]), "odd");
    mkdirSync(`${dir}/b\ufffd`);
    writeFileSync(`${dir}/b\ufffd/config.json`, "decoy");
    const bundle = readBundle(`${odd.toString("latin1")}//./`, undefined);
    expect(bundle.raw.toString()).toBe("odd");
    expect(bundle.path).toBe(`${odd.toString("latin1")}/config.json`);
    expect(bundle.file).toBe(`${dir}/b\ufffd/config.json`);
    expect(readBundle(`${dir}/nonexistent/..`, undefined).raw.toString()).toBe('{"ociVersion":"1.0.2"}');
  });

  it("refuses a bundle without a readable config.json", () => {
    expect(() => readBundle(mkdtempSync(join(tmpdir(), "rso-bundle-")), undefined)).toThrow(/^cannot read .*\/config\.json, the config\.json runsc would read: ENOENT/);
  });

  it.each([
    ["a FIFO", (file: string) => execFileSync("mkfifo", [file]), /is a FIFO, not a regular file/],
    ["a link to /dev/stdin", (file: string) => symlinkSync("/dev/stdin", file), /is (a FIFO|a character device|a socket|no regular file), not a regular file/],
    ["a link to a character device", (file: string) => symlinkSync("/dev/null", file), /is a character device, not a regular file: runsc would read it as it is/],
    ["a directory", (file: string) => mkdirSync(file), /is a directory, not a regular file/],
  ])("refuses a config.json that is %s, without reading it", (_name, make, message) => {
    const dir = mkdtempSync(join(tmpdir(), "rso-bundle-"));
    make(join(dir, "config.json"));
    expect(() => readBundle(dir, undefined)).toThrow(message);
  });

  it.each([
    ["invalid JSON", '{"dev.gvisor.x": not json', /config\.json is not valid JSON/],
    ["annotations that are not strings", '{"annotations":{"dev.gvisor.a":1}}', /config\.json: annotations\.dev\.gvisor\.a must be string/],
    ["a root that is not an object", '{"root":"rootfs","x":"\\u0041"}', /config\.json: root must be object/],
  ])("checkSpec refuses, in a file it would edit, %s", (_name, content, message) => {
    const bundle = readBundle(bundleWith(content), undefined);
    expect(mayHoldOverlayKeys(bundle.raw)).toBe(true);
    expect(() => checkSpec(bundle)).toThrow(message);
  });

  it.each([
    ['{"annotations":{"a":"b"}}', false],
    ["{not json at all", false],
    ['{"annotations":{"dev.gvisor.flag.debug":"true"}}', true],
    ['{"annotations":{"dev.gvisor.flag.overlay\\u0032":"x"}}', true],
  ])("mayHoldOverlayKeys(%j) is %s: the launcher's screen", (content, expected) => {
    expect(mayHoldOverlayKeys(Buffer.from(content))).toBe(expected);
  });
});
