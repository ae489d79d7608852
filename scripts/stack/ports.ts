import net from 'node:net';
import { StackSetupError } from './prerequisites.ts';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Fails before anything starts if a port we would bind is taken, naming the env var that moves it. */
export async function assertPortsFree(wanted: { port: number; what: string; envVar: string }[]): Promise<void> {
  const taken: string[] = [];
  for (const { port, what, envVar } of wanted) {
    if (!(await isFree(port))) taken.push(`  - ${port} (${what}) is in use; set ${envVar} to use another port`);
  }
  if (taken.length > 0) throw new StackSetupError(`Ports already in use:\n${taken.join('\n')}`);
}

/** The first port from `from` up (within 100) that nothing on loopback listens on. */
export async function firstFreePort(from: number): Promise<number> {
  for (let port = from; port < from + 100; port++) if (await isFree(port)) return port;
  throw new StackSetupError(`no free port in ${from}-${from + 99}`);
}
