/**
 * The two calls the node installer makes to the Kubernetes API, with the pod's own service account
 * as any in-cluster client uses it: the node's label (which the RuntimeClass's nodeSelector names),
 * and an Event about the node, which `kubectl describe node` shows.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { Refusal, describe } from "../../runtime/errors.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeApi {
  /** Sets each label to its value; null removes it. */
  labelNode(node: string, labels: Record<string, string | null>): Promise<void>;
  nodeEvent(node: string, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

/** The API server of the cluster this pod runs in, or undefined outside one (KUBERNETES_SERVICE_HOST unset). */
export function inClusterApi(env: NodeJS.ProcessEnv, accountDir = SERVICE_ACCOUNT_DIR): KubeApi | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  const port = Number(env.KUBERNETES_SERVICE_PORT || 443);
  const read = (file: string) => {
    try {
      return readFileSync(join(accountDir, file), "utf8");
    } catch (error) {
      throw new Refusal(`cannot read the service account's ${file} in ${accountDir}: ${describe(error)} (is automountServiceAccountToken off?)`);
    }
  };
  const call = (method: string, path: string, contentType: string, body: object) =>
    new Promise<void>((resolve, reject) => {
      const text = JSON.stringify(body);
      // The token is read on each call: kubelet rotates the projected token in place.
      const headers = { Authorization: `Bearer ${read("token").trim()}`, "Content-Type": contentType, Accept: "application/json", "Content-Length": Buffer.byteLength(text) };
      const req = request({ host, port, method, path, ca: read("ca.crt"), headers, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if (res.statusCode! < 300) return resolve();
          const reply = Buffer.concat(chunks).toString("utf8");
          let message = reply.trim().slice(0, 300);
          try {
            message = (JSON.parse(reply) as { message?: string }).message ?? message;
          } catch {
            // Not a Status object: the text as it came.
          }
          reject(new Refusal(`the Kubernetes API refused ${method} ${path}: ${res.statusCode} ${message}`));
        });
      });
      req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
      req.on("error", (error) => reject(new Refusal(`cannot reach the Kubernetes API at ${host}:${port} for ${method} ${path}: ${describe(error)}`)));
      req.end(text);
    });
  return {
    labelNode: (node, labels) => call("PATCH", `/api/v1/nodes/${encodeURIComponent(node)}`, "application/merge-patch+json", { metadata: { labels } }),
    nodeEvent: (node, type, reason, message) => {
      const now = new Date().toISOString();
      // kubelet's own convention for node events, which `kubectl describe node` looks up: namespace
      // default, and the node's name standing in for its UID.
      return call("POST", "/api/v1/namespaces/default/events", "application/json", {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${node}.runsc-overlay.`, namespace: "default" },
        involvedObject: { apiVersion: "v1", kind: "Node", name: node, uid: node },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: "runsc-overlay-node", host: node },
        reportingComponent: "runsc-overlay-node",
        reportingInstance: node,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    },
  };
}
