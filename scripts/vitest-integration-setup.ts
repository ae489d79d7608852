import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in integration tests log every state change at INFO; warnings and errors are what a failure needs.
Runtime.install({ logger: new DefaultLogger('WARN') });
