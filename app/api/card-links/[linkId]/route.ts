import { ZodError } from 'zod';
import { TemporalUnavailableError } from '@/server/card-link/link-card.ts';
import { serviceTokenRefusal } from '@/server/card-link/service-token.ts';
import { linkIdSchema, unlinkRequestSchema } from '@/server/card-link/requests.ts';
import { unlinkCard, UnknownLinkError, UnlinkPendingError, type UnlinkResult } from '@/server/card-link/unlink-card.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { logger } from '@/server/logger.ts';
import { temporal } from '@/server/temporal/client.ts';

export const dynamic = 'force-dynamic';

const route = '/api/card-links/[linkId]';
const noStore = { 'cache-control': 'no-store' };
const MAX_BODY_BYTES = 16 * 1024;
/** The API's own identity in the audit log. */
const API_ACTOR = { id: 'card-link-api', role: 'service' };

/**
 * Unlinks a card: `DELETE /api/card-links/<linkId>` with an optional JSON body `{ customerId?, reason? }`
 * (the bearer token as for POST). Ends the link and its subscription and tells the partner (retried in the
 * background until it acknowledges). 200 `unlinked`, or `already_unlinked` when it had already ended: unlinking
 * twice is fine.
 */
export async function DELETE(request: Request, { params }: { params: Promise<{ linkId: string }> }) {
  const refusal = serviceTokenRefusal(request.headers.get('authorization'), env().CARD_LINK_API_TOKEN);
  if (refusal) return Response.json({ error: refusal.error }, { status: refusal.status, headers: noStore });

  const raw = await request.text();
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return Response.json({ error: `The request body is limited to ${MAX_BODY_BYTES} bytes.` }, { status: 413, headers: noStore });
  let body: unknown = {};
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      return Response.json({ error: 'The request body must be JSON (or empty).' }, { status: 400, headers: noStore });
    }
  }

  const { linkId: rawLinkId } = await params;
  try {
    const linkId = linkIdSchema.parse(rawLinkId);
    const input = unlinkRequestSchema.parse(body);
    const result = await unlinkCard({ db: db(), temporal: temporal(), timeoutMs: env().CARD_LINK_DECISION_TIMEOUT_MS }, linkId, input, API_ACTOR, 'api');
    return Response.json(result satisfies UnlinkResult, { status: 200, headers: noStore });
  } catch (err) {
    if (err instanceof ZodError) return Response.json({ error: 'Invalid unlink request.', issues: err.issues }, { status: 422, headers: noStore });
    if (err instanceof UnknownLinkError) return Response.json({ error: err.message }, { status: 404, headers: noStore });
    if (err instanceof TemporalUnavailableError) {
      logger.warn({ err, route }, 'unlink refused: Temporal unavailable');
      return Response.json({ error: 'The card-link service is temporarily unavailable. Nothing was unlinked; retry shortly.' }, { status: 503, headers: { ...noStore, 'retry-after': '5' } });
    }
    if (err instanceof UnlinkPendingError) {
      return Response.json({ error: `${err.message}. Send the same request again to get its answer.` }, { status: 504, headers: { ...noStore, 'retry-after': '2' } });
    }
    logger.error({ err, route }, 'unlink failed unexpectedly');
    return Response.json({ error: 'Unlinking failed unexpectedly; see the console server log.' }, { status: 500, headers: noStore });
  }
}
