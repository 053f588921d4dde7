import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INSTALLED_LABEL, kubernetesManifest } from "../../src/ctl/kubernetes.js";

describe("kubernetesManifest", () => {
  it.each(["runsc-overlay", "gvisor-disk"])("is a RuntimeClass for handler %s on the nodes the installer labelled", (name) => {
    const text = kubernetesManifest(name);
    expect(parse(text)).toEqual({
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name },
      handler: name,
      scheduling: { nodeSelector: { "runsc-overlay/installed": "true" } },
    });
    // How test/e2e/kubernetes.test.ts finds the handler that pods select.
    expect(/^handler: (\S+)$/m.exec(text)?.[1]).toBe(name);
  });

  it.each(["runsc-overlay", "gvisor-disk"])("says how %s gets onto a node and which pod annotations to allow", (name) => {
    const text = kubernetesManifest(name);
    expect(text).toContain(`runsc-overlay-ctl install containerd --name ${name}`);
    expect(text).toContain(`kubectl label node NODE ${INSTALLED_LABEL}=true`);
    expect(text).toContain(`spec.runtimeClassName: ${name}`);
    expect(text).toContain("--pod-annotations 'dev.gvisor.spec.mount.*'");
    expect(text).toContain("With 'dev.gvisor.*', a pod could choose its own root");
  });
});
