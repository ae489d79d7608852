/**
 * Errors a partner call can end in. Temporal turns an activity's error into an ApplicationFailure whose type
 * is the error's `name`, so each class sets its name explicitly and retry policies can list the final ones.
 */

/** The partner could not answer (5xx, timeout, connection refused): worth retrying with backoff. */
export class PartnerUnavailableError extends Error {
  override name = 'PartnerUnavailableError';
  constructor(
    readonly partnerId: string,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The partner refused the request itself (4xx): retrying the same request cannot help. */
export class PartnerRejectedError extends Error {
  override name = 'PartnerRejectedError';
  constructor(
    readonly partnerId: string,
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The partner answered 2xx with something that is not its documented response. */
export class PartnerProtocolError extends Error {
  override name = 'PartnerProtocolError';
  constructor(
    readonly partnerId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** For `retry.nonRetryableErrorTypes` of activities that call partners. */
export const NON_RETRYABLE_PARTNER_ERRORS = ['PartnerRejectedError', 'PartnerProtocolError'] as const;
