import { describe, expect, it } from "vitest";
import { kubernetesManifest } from "../../src/ctl/kubernetes.js";

describe("kubernetesManifest", () => {
  it.each(["runsc-overlay", "gvisor-disk"])("names handler %s in the RuntimeClass and in the install line", (name) => {
    const text = kubernetesManifest(name);
    expect(text).toContain(`kind: RuntimeClass\nmetadata:\n  name: ${name}\nhandler: ${name}\n`);
    expect(text).toContain(`runsc-overlay-ctl install containerd --name ${name}`);
    expect(text).toContain("--pod-annotations 'dev.gvisor.spec.mount.*'");
    expect(text).toContain("With 'dev.gvisor.*', a pod could choose its own root");
  });
});
