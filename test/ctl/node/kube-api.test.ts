/**
 * The installer's two Kubernetes API calls against a recording HTTPS server on 127.0.0.1, with a
 * certificate made here by openssl and a service-account directory of its own. This proves the
 * requests' shape only: no API server answers them.
 */
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { inClusterApi } from "../../../src/ctl/node/kube-api.js";
import { Refusal } from "../../../src/runtime/errors.js";
import { workdir } from "../../helpers/runtime.js";

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

/** A self-signed certificate for 127.0.0.1: its own CA. */
async function certificate(dir: string, name: string): Promise<{ key: string; cert: string }> {
  const [key, cert] = [join(dir, `${name}.key`), join(dir, `${name}.crt`)];
  await execa("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  return { key, cert };
}

let dir: string;
let server: { key: string; cert: string };
let other: { key: string; cert: string };
beforeAll(async () => {
  dir = workdir("kube-api");
  [server, other] = await Promise.all([certificate(dir, "server"), certificate(dir, "other")]);
});

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** An API server that records each request and answers with `reply`; its port, and the service-account directory trusting `ca`. */
async function apiServer(reply: { status: number; body: unknown } = { status: 200, body: { kind: "Node" } }, ca = server.cert) {
  const requests: Recorded[] = [];
  const https = createServer({ key: readFileSync(server.key), cert: readFileSync(server.cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(reply.status, { "Content-Type": "application/json" }).end(JSON.stringify(reply.body));
    });
  });
  https.listen(0, "127.0.0.1");
  await once(https, "listening");
  close = async () => {
    https.closeAllConnections();
    https.close();
    await once(https, "close");
  };
  const account = workdir("service-account");
  writeFileSync(join(account, "token"), "first-token\n");
  writeFileSync(join(account, "ca.crt"), readFileSync(ca));
  writeFileSync(join(account, "namespace"), "runsc-overlay\n");
  const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String((https.address() as AddressInfo).port) };
  return { requests, account, api: inClusterApi(env, account)! };
}

describe("inClusterApi", () => {
  it("is undefined outside a cluster (no KUBERNETES_SERVICE_HOST)", () => {
    expect(inClusterApi({ KUBERNETES_SERVICE_PORT: "443" }, "/nonexistent")).toBeUndefined();
  });

  it("labels the node with a merge patch, reading the token afresh at each call", async () => {
    const { requests, account, api } = await apiServer();
    await api.labelNode("node-1", { "runsc-overlay/installed": "true" });
    writeFileSync(join(account, "token"), "rotated-token\n");
    await api.labelNode("node-1", { "runsc-overlay/installed": null });
    expect(requests.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: "PATCH", url: "/api/v1/nodes/node-1", body: { metadata: { labels: { "runsc-overlay/installed": "true" } } } },
      { method: "PATCH", url: "/api/v1/nodes/node-1", body: { metadata: { labels: { "runsc-overlay/installed": null } } } },
    ]);
    expect(requests.map((r) => r.headers.authorization)).toEqual(["Bearer first-token", "Bearer rotated-token"]);
    for (const r of requests) {
      expect(r.headers["content-type"]).toBe("application/merge-patch+json");
      expect(r.headers.accept).toBe("application/json");
    }
  });

  it("records an event about the node as kubelet does (namespace default, the node's name as its uid)", async () => {
    const { requests, api } = await apiServer({ status: 201, body: { kind: "Event" } });
    await api.nodeEvent("node-1", "Warning", "RunscOverlayInstallFailed", "runsc-overlay was not installed: why");
    expect(requests).toHaveLength(1);
    const [event] = requests as [Recorded];
    expect(event.method).toBe("POST");
    expect(event.url).toBe("/api/v1/namespaces/default/events");
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
    const { api } = await apiServer({ status: 403, body: { kind: "Status", apiVersion: "v1", status: "Failure", message, reason: "Forbidden", code: 403 } });
    const refused = api.labelNode("node-1", { "runsc-overlay/installed": "true" });
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow(`the Kubernetes API refused PATCH /api/v1/nodes/node-1: 403 ${message}`);
  });

  it("refuses a server whose certificate the service account's CA did not sign, and sends it nothing", async () => {
    const { requests, api } = await apiServer(undefined, other.cert);
    const refused = api.nodeEvent("node-1", "Normal", "RunscOverlayInstalled", "installed");
    await expect(refused).rejects.toThrow(Refusal);
    await expect(refused).rejects.toThrow(/cannot reach the Kubernetes API at 127\.0\.0\.1:\d+ for POST \/api\/v1\/namespaces\/default\/events: .*(self-signed|certificate)/);
    expect(requests).toEqual([]);
  });

  it("says which service-account file it cannot read", async () => {
    const api = inClusterApi({ KUBERNETES_SERVICE_HOST: "127.0.0.1" }, join(dir, "no-account"))!;
    await expect(api.labelNode("node-1", { a: "true" })).rejects.toThrow(`cannot read the service account's token in ${join(dir, "no-account")}`);
  });
});
