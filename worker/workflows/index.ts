import type { WorkflowTypeName } from '../../server/temporal/contract.ts';
import type * as registered from './index.ts';

export * from './stream-processing.ts';
export * from './expiry-sweep.ts';
export * from './retention.ts';
export * from './card-link.ts';
export * from './reconciliation.ts';
export * from './benefit-lifecycle.ts';
export * from './card-unlink.ts';
export * from './bench.ts';
export * from './dead-letter-bulk.ts';

// Every name in the contract's WORKFLOW_TYPES is a workflow exported here, and every workflow exported here has a name there:
// a mismatch is a type error naming the odd one out (`Type '"…"' does not satisfy the constraint 'never'`).
type Workflows = typeof registered;
type WorkflowName = { [K in keyof Workflows]: Workflows[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Workflows];
type NoneLeft<T extends never> = T;
type _ContractNamesWithoutWorkflow = NoneLeft<Exclude<WorkflowTypeName, WorkflowName>>;
type _WorkflowsWithoutContractName = NoneLeft<Exclude<WorkflowName, WorkflowTypeName>>;
