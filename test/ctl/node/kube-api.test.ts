/**
 * The installer's two Kubernetes API calls against the loopback API recorder (test/helpers/api-recorder.ts).
 * This proves the requests' shape only: no API server answers them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inClusterApi } from "../../../src/ctl/node/kube-api.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { type ApiRecorder, type Recorded, startApiRecorder } from "../../helpers/api-recorder.js";
import { workdir } from "../../helpers/runtime.js";

let recorders: ApiRecorder[] = [];
afterEach(async () => {
  await Promise.all(recorders.map((recorder) => recorder.close()));
  recorders = [];
});

/** A recorder whose token ends in a newline, as a mounted file may: the client must trim it. */
async function recorder(): Promise<ApiRecorder> {
  const started = await startApiRecorder(workdir("kube-api"), "first-token\n");
  recorders.push(started);
  return started;
}

/** The client of `server`, trusting the CA and reading the token in `account`. */
function client(server: ApiRecorder, account = server.accountDir) {
  return inClusterApi({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(server.port) }, account)!;
}

describe("inClusterApi", () => {
  it("is undefined outside a cluster (no KUBERNETES_SERVICE_HOST)", () => {
    expect(inClusterApi({ KUBERNETES_SERVICE_PORT: "443" }, "/nonexistent")).toBeUndefined();
  });

  it("labels the node with a merge patch, reading the token afresh at each call", async () => {
    const server = await recorder();
    const api = client(server);
    await api.labelNode("node-1", { "runsc-overlay/installed": "true" });
    writeFileSync(join(server.accountDir, "token"), "rotated-token\n");
    await api.labelNode("node-1", { "runsc-overlay/installed": null });
    expect(server.requests.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: "PATCH", path: "/api/v1/nodes/node-1", body: { metadata: { labels: { "runsc-overlay/installed": "true" } } } },
      { method: "PATCH", path: "/api/v1/nodes/node-1", body: { metadata: { labels: { "runsc-overlay/installed": null } } } },
    ]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer first-token", "Bearer rotated-token"]);
    for (const r of server.requests) {
      expect(r.headers["content-type"]).toBe("application/merge-patch+json");
      expect(r.headers.accept).toBe("application/json");
    }
  });

  it("records an event about the node as kubelet does (namespace default, the node's name as its uid)", async () => {
    const server = await recorder();
    server.reply(201);
    await client(server).nodeEvent("node-1", "Warning", "RunscOverlayInstallFailed", "runsc-overlay was not installed: why");
    expect(server.requests).toHaveLength(1);
    const [event] = server.requests as [Recorded];
    expect(event.method).toBe("POST");
    expect(event.path).toBe("/api/v1/namespaces/default/events");
    expect(event.headers["content-type"]).toBe("application/json");
    expect(event.headers.authorization).toBe("Bearer first-token");
    expect(event.body).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace: "default", generateName: "node-1.runsc-overlay." },
      involvedObject: { apiVersion: "v1", kind: "Node", name: "node-1", uid: "node-1" },
      type: "Warning",
      reason: "RunscOverlayInstallFailed",
      message: "runsc-overlay was not installed: why",
      source: { component: "runsc-overlay-node", host: "node-1" },
      count: 1,
    });
    const { firstTimestamp, lastTimestamp } = event.body as { firstTimestamp: string; lastTimestamp: string };
    expect(Math.abs(Date.parse(firstTimestamp) - Date.now())).toBeLessThan(60_000);
    expect(lastTimestamp).toBe(firstTimestamp);
  });

  it("turns a 403 Status into a refusal carrying the API's message", async () => {
    const message = 'nodes "node-1" is forbidden: User "system:serviceaccount:runsc-overlay:node-installer" cannot patch resource "nodes"';
    const server = await recorder();
    server.reply(403, message);
    const refused = client(server).labelNode("node-1", { "runsc-overlay/installed": "true" });
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow(`the Kubernetes API refused PATCH /api/v1/nodes/node-1: 403 ${message}`);
  });

  it("refuses a server whose certificate the service account's CA did not sign, and sends it nothing", async () => {
    // Another recorder's account directory: its own token, and a CA that never signed this server's certificate.
    const [server, other] = await Promise.all([recorder(), recorder()]);
    const refused = client(server, other.accountDir).nodeEvent("node-1", "Normal", "RunscOverlayInstalled", "installed");
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow(/cannot reach the Kubernetes API at 127\.0\.0\.1:\d+ for POST \/api\/v1\/namespaces\/default\/events: .*(self-signed|certificate)/);
    expect(server.requests).toEqual([]);
    expect(other.requests).toEqual([]);
  });

  it("says which service-account file it cannot read", async () => {
    const missing = join(workdir("kube-api"), "no-account");
    const api = inClusterApi({ KUBERNETES_SERVICE_HOST: "127.0.0.1" }, missing)!;
    await expect(api.labelNode("node-1", { a: "true" })).rejects.toThrow(`cannot read the service account's token in ${missing}`);
  });
});
