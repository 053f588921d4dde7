/**
 * deploy/kubernetes as a cluster would receive it: rendered by Debian's kustomize (the base and each
 * distribution's overlay), every object valid under Kubernetes' own schemas, and the node installer
 * given what it needs and no more.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { INSTALLED_LABEL, kubernetesManifest } from "../../src/ctl/kubernetes.js";
import { KUSTOMIZE, NO_KUSTOMIZE } from "../helpers/paths.js";
import { kubernetesErrors } from "./kubernetes-schema.js";

const DEPLOY = fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** A rendered object: the schemas check its shape, so the assertions read its fields freely. */
type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [field: string]: any };

async function render(dir: string): Promise<KubeObject[]> {
  const { stdout } = await execa(KUSTOMIZE, ["build", join(DEPLOY, dir)]);
  return parseAllDocuments(stdout).map((document) => document.toJS() as KubeObject);
}

function only(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind);
  expect(found.map((object) => object.metadata.name), kind).toHaveLength(1);
  return found[0]!;
}

const baseFile = (name: string) => readFileSync(join(DEPLOY, "base", name), "utf8");

describe("the base's RuntimeClass", () => {
  it("is what `runsc-overlay-ctl kubernetes` prints for the default name, comments and all", () => {
    expect(baseFile("runtimeclass.yaml")).toBe(kubernetesManifest("runsc-overlay"));
  });
});

describe("the schema validator", () => {
  const daemonSet = () => parse(baseFile("daemonset.yaml")) as KubeObject;

  it("accepts the base's DaemonSet as written, and maxUnavailable as a number or a percentage", () => {
    expect(kubernetesErrors(daemonSet())).toEqual([]);
    const percent = daemonSet();
    percent.spec.updateStrategy.rollingUpdate.maxUnavailable = "10%";
    expect(kubernetesErrors(percent)).toEqual([]);
  });

  it.each<[string, (object: KubeObject) => void, string]>([
    ["an unknown field in the spec", (o) => (o.spec.hostNetwork = false), "/spec must NOT have additional properties: hostNetwork"],
    ["an unknown field in a container", (o) => (o.spec.template.spec.containers[0].priviledged = true), "/spec/template/spec/containers/0 must NOT have additional properties: priviledged"],
    ["a string where an integer belongs", (o) => (o.spec.template.spec.terminationGracePeriodSeconds = "120"), "/spec/template/spec/terminationGracePeriodSeconds must be integer"],
    ["a boolean for an int-or-string", (o) => (o.spec.updateStrategy.rollingUpdate.maxUnavailable = true), "/spec/updateStrategy/rollingUpdate/maxUnavailable must be integer"],
    ["a missing required field", (o) => delete o.spec.selector, "/spec must have required property 'selector'"],
    ["a kind the fixture does not define", (o) => (o.kind = "DaemonSets"), "no definition of apps/v1 DaemonSets in the fixture"],
  ])("rejects %s", (_, mutate, error) => {
    const object = daemonSet();
    mutate(object);
    expect(kubernetesErrors(object)).toContain(error);
  });
});

describe.skipIf(NO_KUSTOMIZE !== undefined)(`kustomize build${NO_KUSTOMIZE ? ` (skipped: ${NO_KUSTOMIZE})` : ""}`, () => {
  describe.each([
    { dir: "base", distribution: undefined },
    { dir: "overlays/k3s", distribution: "k3s" },
    { dir: "overlays/rke2", distribution: "rke2" },
    { dir: "overlays/k0s", distribution: "k0s" },
  ])("$dir", ({ dir, distribution }) => {
    let objects: KubeObject[];
    const daemonSet = () => only(objects, "DaemonSet");
    const installer = () => {
      const containers = daemonSet().spec.template.spec.containers as any[];
      expect(containers.map((container) => container.name)).toEqual(["installer"]);
      return containers[0];
    };

    beforeAll(async () => {
      objects = await render(dir);
    });

    it("renders each object once, every one valid under Kubernetes' own schemas", () => {
      expect(objects.map((object) => object.kind).sort()).toEqual(
        ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Namespace", "Role", "RoleBinding", "RuntimeClass", "ServiceAccount"],
      );
      for (const object of objects) expect(kubernetesErrors(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    });

    it("runs `node run` with the ConfigMap's config, naming the overlay's distribution", () => {
      const args = installer().args as string[];
      expect(args.slice(0, 2)).toEqual(["node", "run"]);
      expect(args.slice(2)).toEqual(["--config", "/etc/runsc-overlay/config.toml", ...(distribution ? ["--distribution", distribution] : [])]);
      // No --label: the installer sets its default, the one the RuntimeClass selects nodes by.
      expect(args).not.toContain("--label");
      expect(installer().image).toBe(`runsc-overlay/node-installer:${VERSION}`);
      expect(installer().env).toEqual([{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }]);

      const config = only(objects, "ConfigMap");
      const volume = daemonSet().spec.template.spec.volumes.find((v: any) => v.configMap);
      expect(volume.configMap.name).toBe(config.metadata.name);
      expect(installer().volumeMounts).toContainEqual({ name: volume.name, mountPath: "/etc/runsc-overlay", readOnly: true });
      expect(config.data).toEqual({ "config.toml": baseFile("config.toml") });
      expect(config.metadata.namespace).toBe(daemonSet().metadata.namespace);
    });

    it("mounts the node's / at /host, and reaches every Linux node whatever its taints", () => {
      const pod = daemonSet().spec.template.spec;
      const hostRoot = pod.volumes.find((v: any) => v.hostPath);
      expect(hostRoot).toEqual({ name: "host-root", hostPath: { path: "/", type: "Directory" } });
      expect(installer().volumeMounts).toContainEqual({ name: "host-root", mountPath: "/host", mountPropagation: "HostToContainer" });
      expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
      expect(pod.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
      expect(pod.priorityClassName).toBe("system-node-critical");
      expect(daemonSet().spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
    });

    it("is not privileged: uid 0 with all capabilities dropped but chroot and chown, in the host's namespaces only through /host", () => {
      const pod = daemonSet().spec.template.spec;
      expect(JSON.stringify(objects)).not.toMatch(/"privileged":true/);
      expect([pod.hostNetwork, pod.hostPID, pod.hostIPC]).toEqual([false, undefined, undefined]);
      expect(installer().securityContext).toEqual({
        runAsUser: 0,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"], add: ["SYS_CHROOT", "CHOWN"] },
        seLinuxOptions: { type: "spc_t" },
      });
      // Only the privileged Pod Security level admits a hostPath volume.
      const namespace = only(objects, "Namespace");
      expect(namespace.metadata.labels).toEqual({ "pod-security.kubernetes.io/enforce": "privileged" });
      expect(daemonSet().metadata.namespace).toBe(namespace.metadata.name);
    });

    it("lets the installer patch nodes cluster-wide and create Events in default, and nothing else", () => {
      const account = only(objects, "ServiceAccount");
      expect(account.metadata.namespace).toBe(daemonSet().metadata.namespace);
      expect(daemonSet().spec.template.spec.serviceAccountName).toBe(account.metadata.name);
      const subject = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace }];

      const clusterRole = only(objects, "ClusterRole");
      expect(clusterRole.rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["patch"] }]);
      const clusterBinding = only(objects, "ClusterRoleBinding");
      expect(clusterBinding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name });
      expect(clusterBinding.subjects).toEqual(subject);

      const role = only(objects, "Role");
      expect(role.metadata.namespace).toBe("default");
      expect(role.rules).toEqual([{ apiGroups: [""], resources: ["events"], verbs: ["create"] }]);
      const binding = only(objects, "RoleBinding");
      expect(binding.metadata.namespace).toBe("default");
      expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
      expect(binding.subjects).toEqual(subject);
    });

    it("has the RuntimeClass that `runsc-overlay-ctl kubernetes` prints, selecting the nodes the installer labels", () => {
      const runtimeClass = only(objects, "RuntimeClass");
      expect(runtimeClass).toEqual(parse(kubernetesManifest("runsc-overlay")));
      expect(runtimeClass.scheduling.nodeSelector).toEqual({ [INSTALLED_LABEL]: "true" });
    });
  });
});
