export * from './diagnostics.ts';
export * from './stream-processing.ts';
export * from './expiry-sweep.ts';
export * from './card-link.ts';
export * from './reconciliation.ts';
export * from './benefit-lifecycle.ts';
export * from './card-unlink.ts';
export * from './bench.ts';
