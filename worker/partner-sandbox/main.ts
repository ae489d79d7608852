import pino from 'pino';
import { partnerSandboxEnv } from '../../server/env.ts';
import { partnerRegistry } from '../../server/card-link/partners/registry.ts';
import { partnersWithoutWebhookSecret } from '../../server/card-link/webhook-signature.ts';
import { startPartnerSandbox } from './server.ts';

/** `node --import tsx worker/partner-sandbox/main.ts`: the partner sandbox as its own process. */
async function main(): Promise<void> {
  const config = partnerSandboxEnv();
  const log = pino({ level: config.LOG_LEVEL, base: { pid: process.pid, component: 'partner-sandbox' } });
  const sandbox = await startPartnerSandbox({
    port: config.PARTNER_SANDBOX_PORT,
    host: config.PARTNER_SANDBOX_HOST,
    consoleUrl: config.CONSOLE_URL,
    webhookSecrets: config.PARTNER_WEBHOOK_SECRETS,
    reconcileAfterMs: config.PARTNER_SANDBOX_RECONCILE_AFTER_MS,
    log,
  });
  const unsigned = partnersWithoutWebhookSecret(partnerRegistry, config.PARTNER_WEBHOOK_SECRETS);
  if (unsigned.length > 0) log.warn({ partners: unsigned }, `no webhook secret for ${unsigned.join(', ')} (PARTNER_WEBHOOK_SECRETS): their webhooks go unsigned and the console refuses them`);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void sandbox.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('partner sandbox failed to start:', err);
  process.exit(1);
});
