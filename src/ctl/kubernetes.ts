/** `runsc-overlay-ctl kubernetes`: what a cluster needs once containerd has the runtime. */
import { OVERLAY_ANNOTATIONS } from "../runtime/bundle.js";

export function kubernetesManifest(name: string): string {
  return `# A RuntimeClass for the runtime that \`runsc-overlay-ctl install containerd --name ${name}\` registered.
# Pods choose it with \`spec.runtimeClassName: ${name}\`.
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${name}
handler: ${name}
---
# containerd's CRI passes a pod's annotations into the bundle only where the runtime allows them. For
# gVisor's dev.gvisor.* annotations, add this line to the runtime's table in its drop-in
# (/etc/containerd/conf.d/${name}.toml), then restart containerd:
#
#   pod_annotations = ["dev.gvisor.*"]
#
# Under overlay.annotations = "enforce" (the default), runsc-overlay still removes the ones that would
# change the root overlay (${OVERLAY_ANNOTATIONS.join(", ")}).
`;
}
