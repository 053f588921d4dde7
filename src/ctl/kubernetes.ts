/** `runsc-overlay-ctl kubernetes`: what a cluster needs once containerd has the runtime handler. */

export function kubernetesManifest(name: string): string {
  return `# A RuntimeClass for the handler that \`runsc-overlay-ctl install containerd --name ${name}\` registered
# on every node (gVisor's shim, containerd-shim-runsc-v1, running runsc-overlay as its runsc).
# Pods choose it with \`spec.runtimeClassName: ${name}\`.
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
`;
}
