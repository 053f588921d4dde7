/**
 * A CRI client that calls containerd's CRI plugin as kubelet does: gRPC over containerd's socket,
 * with Kubernetes' own api.proto (Debian's golang-github-kubernetes-cri-api-dev, fetched by
 * scripts/prepare, and the gogo.proto it imports). Every call has a deadline, so a runtime that hangs
 * fails the call instead of the suite.
 */
import { join } from "node:path";
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/**
 * A CRI message as proto-loader gives it: field names as in api.proto, enums as their names. Untyped:
 * the messages are wide and deep, and the tests read the few fields they check.
 */
export type Message = Record<string, any>;

export interface Cri {
  runtime(method: string, request: Message, seconds?: number): Promise<Message>;
  image(method: string, request: Message, seconds?: number): Promise<Message>;
  close(): void;
}

/** `gocode` is the directory holding k8s.io/cri-api and github.com/gogo/protobuf. */
export function criClient(socket: string, gocode: string[]): Cri {
  const definition = loadSync("k8s.io/cri-api/pkg/apis/runtime/v1/api.proto", {
    includeDirs: gocode,
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
  });
  const v1 = (loadPackageDefinition(definition).runtime as { v1: Record<string, ServiceClientConstructor> }).v1;
  const connect = (service: string) => new v1[service]!(`unix://${socket}`, credentials.createInsecure());
  const clients = { runtime: connect("RuntimeService"), image: connect("ImageService") };
  const call = (client: Client) => (method: string, request: Message, seconds = 60) =>
    new Promise<Message>((resolve, reject) => {
      const deadline = new Date(Date.now() + seconds * 1000);
      const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
      if (!fn) return reject(new Error(`the CRI has no method ${method}`));
      fn.call(client, request, { deadline }, (error: Error | null, response: Message) =>
        error ? reject(new Error(`CRI ${method}: ${error.message}`)) : resolve(response),
      );
    });
  return {
    runtime: call(clients.runtime),
    image: call(clients.image),
    close: () => {
      clients.runtime.close();
      clients.image.close();
    },
  };
}

/** Where scripts/prepare unpacks the two packages' Go source trees. */
export function criProtoDirs(parts: string): string[] {
  return [join(parts, "cri-api/usr/share/gocode/src"), join(parts, "gogo-protobuf/usr/share/gocode/src")];
}
