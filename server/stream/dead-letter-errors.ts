import type { DeadLetterStatus } from '../db/generated/client.ts';

/** Errors the console maps to HTTP statuses (app/api/dead-letters/_lib/deps.ts). */

/** 404. */
export class DeadLetterNotFoundError extends Error {
  override name = 'DeadLetterNotFoundError';
  constructor(readonly id: string) {
    super(`dead letter ${id} does not exist`);
  }
}

/** 409: the entry cannot be acted on in its current state. */
export class DeadLetterConflictError extends Error {
  override name = 'DeadLetterConflictError';
}

/** 409: already replayed, superseded or discarded. */
export class DeadLetterNotPendingError extends DeadLetterConflictError {
  override name = 'DeadLetterNotPendingError';
  constructor(
    readonly id: string,
    readonly status: DeadLetterStatus,
  ) {
    super(`dead letter ${id} is ${status}, not pending`);
  }
}

/** 409: another replay of the same entry is running in this process. */
export class DeadLetterReplayInProgressError extends DeadLetterConflictError {
  override name = 'DeadLetterReplayInProgressError';
  constructor(readonly id: string) {
    super(`dead letter ${id} is already being replayed`);
  }
}

/** 422. */
export class DiscardReasonRequiredError extends Error {
  override name = 'DiscardReasonRequiredError';
  constructor() {
    super('a reason is required to discard a dead letter');
  }
}

/** 422: a malformed id, cursor or limit. */
export class InvalidDeadLetterQueryError extends Error {
  override name = 'InvalidDeadLetterQueryError';
}
