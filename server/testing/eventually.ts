/** Polls `probe` until it returns something truthy; fails naming what it waited for. Tests never sleep blindly. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 45_000, intervalMs = 150 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
