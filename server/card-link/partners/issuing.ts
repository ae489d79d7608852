import type { CardFacts } from '../../temporal/contract.ts';

/** A BIN range a partner issues, on one network, in some countries. BINs compare on their first six digits. */
export interface IssuingRange {
  network: 'visa' | 'mastercard' | 'amex' | 'discover';
  from: string;
  to: string;
  countries: readonly string[];
}

export function binWithin(bin: string, from: string, to: string): boolean {
  const six = bin.slice(0, 6);
  return six.length === 6 && six >= from && six <= to;
}

export function issuedWithin(card: Pick<CardFacts, 'bin' | 'network' | 'country'>, ranges: readonly IssuingRange[]): boolean {
  const network = card.network.toLowerCase();
  const country = card.country.toUpperCase();
  return ranges.some((range) => range.network === network && range.countries.includes(country) && binWithin(card.bin, range.from, range.to));
}
