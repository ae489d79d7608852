export * from './diagnostics.ts';
export * from './stream-processing.ts';
export * from './expiry-sweep.ts';
