/** `runsc-overlay-ctl kubernetes`: what a cluster needs once containerd has the runtime handler. */
import { OVERLAY_ANNOTATIONS } from "../runtime/policy.js";

export function kubernetesManifest(name: string): string {
  return `# A RuntimeClass for the handler that \`runsc-overlay-ctl install containerd --name ${name}\` registered
# on every node (gVisor's shim, containerd-shim-runsc-v1, running runsc-overlay as its runsc).
# Pods choose it with \`spec.runtimeClassName: ${name}\`.
#
# containerd passes a pod's annotations into the bundle only where the handler allows them: for
# gVisor's dev.gvisor.* annotations, install with \`--pod-annotations 'dev.gvisor.*'\`. Under
# overlay.annotations = "enforce" (the default), runsc-overlay still removes the ones that would
# change the root overlay (${OVERLAY_ANNOTATIONS.join(", ")}).
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${name}
handler: ${name}
`;
}
