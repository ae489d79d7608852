/** The workflow bundle entry for tests: every production workflow plus the test-only diagnostics ones. */
export * from '../workflows/index.ts';
export * from './diagnostics-workflows.ts';
