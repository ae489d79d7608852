import { describe, expect, it } from 'vitest';
import { enrollmentsQuery, InvalidEnrollmentQueryError, visibilityString } from './enrollments.ts';
import { startRaced } from './link-card.ts';

describe('enrollmentsQuery', () => {
  it('filters on workflow type and the customer id', () => {
    expect(enrollmentsQuery('cust-001')).toBe("WorkflowType = 'cardLinkWorkflow' AND CustomerId = 'cust-001'");
  });

  it('refuses ids that could break out of the literal, and escapes quotes anyway', () => {
    expect(() => enrollmentsQuery("x' OR CustomerId != '")).toThrow(InvalidEnrollmentQueryError);
    expect(visibilityString("o'brien\\")).toBe("'o\\'brien\\\\'");
  });
});

describe('startRaced', () => {
  it("recognises Temporal's retry-the-operation answer to a deduplicated Update-With-Start start, and nothing else", () => {
    const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });
    expect(startRaced(grpc(14, '14 UNAVAILABLE: Workflow was not started: StartDeduped'))).toBe(true);
    expect(startRaced(new Error('Unexpected error while making gRPC request', { cause: grpc(14, 'Workflow was not started: StartDeduped') }))).toBe(true);
    expect(startRaced(grpc(14, '14 UNAVAILABLE: No connection established'))).toBe(false);
    expect(startRaced(grpc(6, 'StartDeduped'))).toBe(false);
    expect(startRaced('StartDeduped')).toBe(false);
  });
});
