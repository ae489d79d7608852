import { describe, expect, it } from 'vitest';
import { temporalScheduleUrl, temporalWorkflowUrl, workflowLinker } from './ui-links.ts';

const ui = { uiUrl: 'http://localhost:8233/', namespace: 'default' };

describe('Temporal UI links', () => {
  it('opens the given run, encoding the namespace, workflow id and run id', () => {
    expect(temporalWorkflowUrl(ui, 'card-link:cus_1:fp_1', '0f6e-11')).toBe('http://localhost:8233/namespaces/default/workflows/card-link%3Acus_1%3Afp_1/0f6e-11');
    expect(workflowLinker({ uiUrl: 'https://t.example/ui', namespace: 'prod ns' })('stream:a:S1', 'r1')).toBe('https://t.example/ui/namespaces/prod%20ns/workflows/stream%3Aa%3AS1/r1');
  });

  it('opens the latest run without a run id', () => {
    expect(temporalWorkflowUrl(ui, 'stream:a:S1')).toBe('http://localhost:8233/namespaces/default/workflows/stream%3Aa%3AS1');
    expect(temporalWorkflowUrl(ui, 'stream:a:S1', null)).toBe('http://localhost:8233/namespaces/default/workflows/stream%3Aa%3AS1');
  });

  it('links a schedule', () => {
    expect(temporalScheduleUrl(ui, 'stream-retention')).toBe('http://localhost:8233/namespaces/default/schedules/stream-retention');
  });
});
