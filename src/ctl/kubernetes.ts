/**
 * `runsc-overlay-ctl kubernetes`: the RuntimeClass a cluster needs once containerd has the runtime
 * handler. deploy/kubernetes/base/runtimeclass.yaml is this function's output for the default name
 * (test/deploy/manifests.test.ts holds them equal), so the CLI and the DaemonSet's manifests agree.
 */

/** The node label the node installer sets to "true" once its node's containerd runs the handler. */
export const INSTALLED_LABEL = "runsc-overlay/installed";

export function kubernetesManifest(name: string): string {
  return `# A RuntimeClass for the containerd runtime handler ${name}: gVisor's shim, containerd-shim-runsc-v1,
# running runsc-overlay as its runsc. The node installer (deploy/kubernetes, a DaemonSet) registers it
# on each node and labels the node ${INSTALLED_LABEL}=true; on a node installed by hand
# (\`runsc-overlay-ctl install containerd --name ${name}\`, then a restart of containerd), set that label
# yourself: \`kubectl label node NODE ${INSTALLED_LABEL}=true\`. The scheduler puts pods of this class
# only on labelled nodes. Pods choose it with \`spec.runtimeClassName: ${name}\`.
#
# containerd passes a pod's annotations into the bundle only where the handler allows them: for
# gVisor's dev.gvisor.* annotations, allow the narrowest pattern that serves: for shared pod volumes,
# \`--pod-annotations 'dev.gvisor.spec.mount.*'\`. With 'dev.gvisor.*', a pod could choose its own root
# under runsc alone (a rootfs hint names any host path as its root, with no overlay); under
# overlay.annotations = "enforce" (the default), runsc-overlay removes or refuses every annotation
# that touches the root (\`runsc-overlay-ctl doctor\` and the README list them).
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${name}
handler: ${name}
scheduling:
  nodeSelector:
    ${INSTALLED_LABEL}: "true"
`;
}
