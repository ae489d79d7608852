import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { installMavenLibs } from '../stack/maven.ts';
import { repoRoot, toolCacheDir } from '../stack/paths.ts';
import { StackSetupError } from '../stack/prerequisites.ts';
import { runLogged, step } from '../stack/progress.ts';

/** Every io.debezium module is fetched at this version (scripts/bench-cdc/pom.xml). */
export const DEBEZIUM_VERSION = '3.6.1.Final';

const here = path.join(repoRoot, 'scripts', 'bench-cdc');
const SOURCE = path.join(here, 'BenchDebezium.java');

/**
 * Debezium Embedded, its Postgres connector and their dependencies in the tool cache (fetched once, like Kafka),
 * and BenchDebezium.java compiled against them (again only when the source or the jars change).
 */
export async function ensureDebezium(): Promise<{ classpath: string }> {
  const missing = ['java', 'javac'].filter((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).error !== undefined);
  if (missing.length > 0) throw new StackSetupError(`bench:cdc compiles and runs Debezium on a JDK ≥ 17: ${missing.join(', ')} not on PATH`);
  const installDir = path.join(toolCacheDir, `debezium-${DEBEZIUM_VERSION}`);
  await installMavenLibs({
    label: `Debezium ${DEBEZIUM_VERSION} embedded engine and Postgres connector`,
    pom: path.join(here, 'pom.xml'),
    properties: { 'debezium.version': DEBEZIUM_VERSION },
    installDir,
    service: 'Debezium',
    envVar: 'nothing (bench:cdc needs it)',
  });
  const libs = path.join(installDir, 'libs', '*');
  const stamp = createHash('sha256').update(fs.readFileSync(SOURCE)).update(fs.readFileSync(path.join(installDir, '.complete'))).digest('hex').slice(0, 16);
  const classes = path.join(installDir, `bench-classes-${stamp}`);
  if (!fs.existsSync(path.join(classes, 'BenchDebezium.class'))) {
    const staging = `${classes}.staging-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    await step('Compiling scripts/bench-cdc/BenchDebezium.java', () =>
      runLogged('javac', ['-cp', libs, '-d', staging, SOURCE], { logFile: path.join(toolCacheDir, 'logs', 'bench-debezium-javac.log') }),
    );
    fs.rmSync(classes, { recursive: true, force: true });
    fs.renameSync(staging, classes);
  }
  return { classpath: `${classes}${path.delimiter}${libs}` };
}

export interface DebeziumOptions {
  classpath: string;
  /** Engine properties (connector, slot, offsets…), without the `engine.` prefix. */
  engine: Record<string, string>;
  /** KafkaProducer properties. */
  producer: Record<string, string>;
  /** Holds the properties file. */
  dataDir: string;
  logFile: string;
}

export interface DebeziumProcess {
  pid: number;
  /** Starts a fresh engine; resolves once it was built and submitted (streaming starts soon after). */
  start(): Promise<void>;
  /** Closes the engine (it commits its offsets and disconnects); resolves with the records produced so far. */
  stop(): Promise<number>;
  /** Records Kafka acknowledged since the JVM started. */
  produced(): Promise<number>;
  /** Ends the JVM. */
  close(): Promise<void>;
}

/**
 * One JVM for the whole bench, driven over stdin, so each run starts warm as the relay does. It exits by itself
 * when stdin closes, so a bench killed hard leaves no JVM behind.
 */
export function startDebezium(options: DebeziumOptions, onExit: (code: number | null) => void): DebeziumProcess {
  const propertiesFile = path.join(options.dataDir, 'debezium.properties');
  const lines = [
    '# Written by scripts/bench-cdc.ts for this run.',
    ...Object.entries(options.engine).map(([key, value]) => `engine.${key}=${value}`),
    ...Object.entries(options.producer).map(([key, value]) => `producer.${key}=${value}`),
  ];
  fs.mkdirSync(options.dataDir, { recursive: true });
  fs.writeFileSync(propertiesFile, `${lines.join('\n')}\n`);
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const proc: ChildProcess = spawn(
    'java',
    [
      // The same heap as the bench's Kafka broker; the default GC and JIT, as a production engine would run.
      '-Xms256m',
      '-Xmx512m',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dorg.slf4j.simpleLogger.log.io.debezium.connector.postgresql=info',
      '-cp',
      options.classpath,
      'BenchDebezium',
      propertiesFile,
    ],
    { stdio: ['pipe', 'pipe', log] },
  );
  fs.closeSync(log);
  let exited = false;
  proc.on('exit', (code) => {
    exited = true;
    onExit(code);
  });
  const answers: ((line: string) => void)[] = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => answers.shift()?.(line));
  const ask = (command: string, expect: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Debezium did not answer "${command}" within ${timeoutMs / 1000} s; see ${options.logFile}`)), timeoutMs);
      answers.push((line) => {
        clearTimeout(timer);
        if (line.startsWith(expect)) resolve(line);
        else reject(new Error(`Debezium answered "${line}" to "${command}"; see ${options.logFile}`));
      });
      proc.stdin!.write(`${command}\n`);
    });
  return {
    pid: proc.pid ?? 0,
    start: async () => void (await ask('start', 'started', 60_000)),
    stop: async () => Number((await ask('stop', 'stopped', 60_000)).split(' ')[1]),
    produced: async () => Number((await ask('count', 'count', 10_000)).split(' ')[1]),
    close: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.stdin!.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
