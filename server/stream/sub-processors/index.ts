export * from './availability-sync.ts';
export * from './expiry-write-off.ts';
export * from './low-stock-replenishment.ts';
