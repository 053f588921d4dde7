/**
 * A refusal: runsc-overlay will not start runsc, and says why. The message names the file or flag at
 * fault and what to do, because it is shown to the user by Docker or containerd as it is.
 */
export class Refusal extends Error {
  override name = "Refusal";
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
