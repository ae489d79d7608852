export * from './diagnostics.ts';
