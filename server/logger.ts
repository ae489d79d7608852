import pino from 'pino';
import { env } from './env.ts';

/** Structured JSON logs, one logger per process; children carry a `component` field. */
export const logger = pino({ level: env().LOG_LEVEL, base: { pid: process.pid } });
