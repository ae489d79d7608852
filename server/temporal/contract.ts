import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What the starter (console, server/) and the worker (worker/) agree on: task queues, workflow type names
 * and search attributes. Workflow code imports this too, so it must stay free of Node built-ins.
 */
export const TASK_QUEUES = {
  /** Platform and diagnostics workflows. */
  default: 'dashops-default',
} as const;

export const WORKFLOW_TYPES = {
  ping: 'pingWorkflow',
  sleep: 'sleepWorkflow',
} as const;

export const searchAttributes = {
  customerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  partnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  linkStatus: defineSearchAttributeKey('LinkStatus', SearchAttributeType.KEYWORD),
} as const;

export interface PingInput {
  message: string;
}

export interface PingResult {
  reply: string;
  /** Which worker process ran the activity. */
  workerId: string;
}
