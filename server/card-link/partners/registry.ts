import type { CardFacts } from '../../temporal/contract.ts';
import { afterpay } from './afterpay.ts';
import { chase } from './chase.ts';
import type { PartnerIntegration } from './partner.ts';
import { rbc } from './rbc.ts';

/** What a partner module exports: its default live version and every version it implements. */
export interface PartnerModule {
  live: PartnerIntegration;
  versions: readonly PartnerIntegration[];
}

export interface PartnerEntry {
  live: PartnerIntegration;
  versions: Readonly<Record<string, PartnerIntegration>>;
}

/** The partners table names a version this build does not implement (a deploy lagging a config change). */
export class UnknownPartnerVersionError extends Error {
  override name = 'UnknownPartnerVersionError';
}

export interface PartnerRegistry {
  readonly partnerIds: readonly string[];
  get(partnerId: string): PartnerEntry | undefined;
  /** One version's implementation; which versions are live and candidate comes from the partners table. */
  resolve(partnerId: string, version: string): PartnerIntegration;
  /** The partner whose live version issues the card, or undefined. BIN ranges do not overlap; first wins. */
  selectPartner(card: CardFacts): PartnerIntegration | undefined;
}

export function createPartnerRegistry(modules: readonly PartnerModule[]): PartnerRegistry {
  const entries = new Map<string, PartnerEntry>();
  for (const { live, versions } of modules) {
    if (entries.has(live.partnerId)) throw new Error(`Partner ${live.partnerId} is registered twice`);
    const byVersion: Record<string, PartnerIntegration> = {};
    for (const integration of [live, ...versions]) {
      if (integration.partnerId !== live.partnerId) {
        throw new Error(`Partner ${live.partnerId} lists a version of ${integration.partnerId}`);
      }
      const existing = byVersion[integration.version];
      if (existing && existing !== integration) {
        throw new Error(`Partner ${live.partnerId} has two implementations of version ${integration.version}`);
      }
      byVersion[integration.version] = integration;
    }
    entries.set(live.partnerId, { live, versions: Object.freeze(byVersion) });
  }
  const ordered = [...entries.values()];

  return {
    partnerIds: Object.freeze([...entries.keys()]),
    get: (partnerId) => entries.get(partnerId),
    resolve(partnerId, version) {
      const integration = entries.get(partnerId)?.versions[version];
      if (!integration) throw new UnknownPartnerVersionError(`No implementation of ${partnerId}@${version} in this build`);
      return integration;
    },
    selectPartner: (card) => ordered.find((entry) => entry.live.matches(card))?.live,
  };
}

export const partnerRegistry = createPartnerRegistry([chase, rbc, afterpay]);
