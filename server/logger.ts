import pino from 'pino';
import { logLevel } from './env.ts';

/** Structured JSON logs, one logger per process; children carry a `component` field. */
export const logger = pino({ level: logLevel(), base: { pid: process.pid } });
