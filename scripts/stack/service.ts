/** A running local service: the env vars that point the app at it, and how to stop it. */
export interface ServiceHandle {
  name: string;
  env: Record<string, string>;
  /** Human-facing addresses printed at startup. */
  urls?: Record<string, string>;
  stop(): Promise<void>;
}
