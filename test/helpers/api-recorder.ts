/**
 * A stand-in for the Kubernetes API on loopback that records what it is asked and answers 200 (or a
 * Status the test sets): enough to prove a request's shape, never the API server's behaviour. Its
 * certificate is made at start with openssl, and the service account directory it writes holds the
 * CA and a token, as kubelet mounts them into a pod.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:https";
import { join } from "node:path";
import { execa } from "execa";

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface ApiRecorder {
  port: number;
  /** What a pod's /var/run/secrets/kubernetes.io/serviceaccount holds: ca.crt, token, namespace. */
  accountDir: string;
  requests: Recorded[];
  /** The status and message of every reply from now on (200 by default). */
  reply(status: number, message?: string): void;
  close(): Promise<void>;
}

export async function startApiRecorder(dir: string, token = "test-token"): Promise<ApiRecorder> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "tls.key");
  const cert = join(dir, "tls.crt");
  await execa("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=kubernetes", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]);
  const accountDir = join(dir, "serviceaccount");
  mkdirSync(accountDir, { recursive: true });
  writeFileSync(join(accountDir, "ca.crt"), readFileSync(cert));
  writeFileSync(join(accountDir, "token"), token);
  writeFileSync(join(accountDir, "namespace"), "runsc-overlay");
  const requests: Recorded[] = [];
  let status = 200;
  let message = "";
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Recorded as text.
      }
      requests.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(status < 300 ? {} : { kind: "Status", apiVersion: "v1", status: "Failure", message, code: status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    accountDir,
    requests,
    reply(code, text = "") {
      status = code;
      message = text;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
