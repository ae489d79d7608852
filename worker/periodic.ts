/** A job run now and every `intervalMs`, never overlapping itself, that can be run on demand and stopped. */
export interface Periodic {
  sampleNow(): Promise<void>;
  /** Stops the timer and waits for a run in flight. */
  stop(): Promise<void>;
}

/**
 * Runs `sampleNow` at once and then every `intervalMs`. A slow run (a broker timing out) makes the next tick skip
 * rather than queue up behind it; a failed run goes to `onError` and the next tick tries again.
 */
export function startPeriodic(sampleNow: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void): Periodic {
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (stopped || inFlight) return;
    inFlight = sampleNow()
      .catch(onError)
      .finally(() => {
        inFlight = null;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();

  return {
    sampleNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
