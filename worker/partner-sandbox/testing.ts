import type { Server } from 'node:http';
import { startPartnerSandbox, type PartnerSandbox, type PartnerSandboxOptions } from './server.ts';

/**
 * Tests bind random ports in 46000–47999: above the ports other stacks and benches use, and below the OS's
 * ephemeral range, so a test never takes a port a fixed-port service is about to bind.
 */
const FIRST = 46_000;
const COUNT = 2_000;

const randomPort = () => FIRST + Math.floor(Math.random() * COUNT);
const inUse = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

export async function startSandboxOnFreePort(options: Omit<PartnerSandboxOptions, 'port'>): Promise<PartnerSandbox> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPartnerSandbox({ ...options, port: randomPort() });
    } catch (err) {
      if (!inUse(err) || attempt >= 20) throw err;
    }
  }
}

/** Listens on 127.0.0.1 at a random free test port; returns the port. */
export async function listenOnFreePort(server: Server): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = randomPort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: '127.0.0.1' }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return port;
    } catch (err) {
      if (!inUse(err) || attempt >= 20) throw err;
    }
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
