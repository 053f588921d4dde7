import { describe, expect, it } from "vitest";
import { kubernetesManifest } from "../../src/ctl/kubernetes.js";

describe("kubernetesManifest", () => {
  it.each(["runsc-overlay", "gvisor-disk"])("names handler %s in the RuntimeClass and in the install line", (name) => {
    const text = kubernetesManifest(name);
    expect(text).toContain(`kind: RuntimeClass\nmetadata:\n  name: ${name}\nhandler: ${name}\n`);
    expect(text).toContain(`runsc-overlay-ctl install containerd --name ${name}`);
    expect(text).toContain("--pod-annotations 'dev.gvisor.*'");
    expect(text).toContain("dev.gvisor.flag.overlay2, dev.gvisor.flag.overlay, dev.gvisor.spec.rootfs.overlay");
  });
});
