import { createServer, type IncomingMessage, type Server } from 'node:http';

/** A Node request as the fetch Request a Next.js route handler takes (its body read whole). */
async function toRequest(message: IncomingMessage, baseUrl: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) if (typeof value === 'string') headers.set(name, value);
  return new Request(new URL(message.url ?? '/', baseUrl), { method: message.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
}

/**
 * An HTTP server in front of a route handler, so a test (or a partner sandbox) reaches the route over real HTTP
 * without a Next.js server. A handler that throws answers 500 with the error, so the test sees it.
 */
export function routeServer(handle: (request: Request, message: IncomingMessage) => Promise<Response>, baseUrl = 'http://127.0.0.1'): Server {
  return createServer((message, reply) => {
    void (async () => {
      const response = await handle(await toRequest(message, baseUrl), message);
      reply.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      reply.end(Buffer.from(await response.arrayBuffer()));
    })().catch((err: unknown) => {
      reply.writeHead(500);
      reply.end(String(err));
    });
  });
}
