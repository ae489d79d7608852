// `npm run touch -- --store <id> [--sku-prefix <p>] [--lots] [--limit N] --reason "<why>" [--yes]`: recovery by
// touch from a shell, through the same re-drive (selection, cap, batches, audit) as the console's /pipeline page.
import os from 'node:os';
import readline from 'node:readline/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Actor } from '../server/auth/actor.ts';
import { PrismaClient } from '../server/db/generated/client.ts';
import { UnknownStockItemError } from '../server/inventory/errors.ts';
import { previewRedrive, REDRIVE_BATCH_ROWS, redriveRows, RedriveTooBroadError, redriveTarget } from '../server/inventory/redrive.ts';
import { parseTouchArgs, TOUCH_USAGE, TouchUsageError } from './touch-args.ts';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const rows = (count: number) => `${count.toLocaleString('en-US')} ${count === 1 ? 'row' : 'rows'}`;

function unixUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the id still says it came from the command line.
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

async function confirm(question: string): Promise<boolean> {
  const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseTouchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof TouchUsageError)) throw err;
    console.error(`${err.message}\n\n${TOUCH_USAGE}`);
    return EXIT_USAGE;
  }
  if (args.help) {
    console.log(TOUCH_USAGE);
    return 0;
  }
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString || !/^postgres(ql)?:\/\//.test(connectionString)) {
    console.error(
      `${connectionString ? 'DATABASE_URL is not a postgres:// URL.' : 'DATABASE_URL is not set.'} Point it at the console's database, e.g. the one \`npm start\` runs:\n` +
        '  DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5433/dashops npm run touch -- --store NY-102 --reason "…"',
    );
    return EXIT_USAGE;
  }

  const { request, limit, yes } = args;
  const actor: Actor = { id: `system:cli:${unixUser()}`, role: 'system' };
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
  try {
    const preview = await previewRedrive(db, request, limit);
    const split = preview.lots === null ? '' : ` (${preview.levels.toLocaleString('en-US')} levels, ${preview.lots.toLocaleString('en-US')} lots)`;
    console.log(`${rows(preview.total)} match ${redriveTarget(request)}${split}.`);
    if (preview.total === 0) {
      console.log('Nothing to re-drive (SKU prefixes are case-sensitive).');
      return 0;
    }
    if (preview.overCap) {
      console.error(`That is more than --limit (${rows(limit)}). Narrow the selection with a longer --sku-prefix, or raise --limit.`);
      return EXIT_FAILED;
    }
    if (!yes) {
      if (!process.stdin.isTTY) {
        console.error('Refusing to re-drive without confirmation: there is no terminal to ask on. Re-run with --yes to confirm.');
        return EXIT_FAILED;
      }
      if (!(await confirm(`Re-drive ${rows(preview.total)}? Type "yes" to continue: `))) {
        console.error('Cancelled; nothing was touched.');
        return EXIT_FAILED;
      }
    }
    const big = preview.total > REDRIVE_BATCH_ROWS;
    const result = await redriveRows(db, request, actor, {
      maxRows: limit,
      via: 'cli',
      onProgress: ({ touched, total }) => {
        if (big) console.log(`  re-driven ${touched.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${Math.round((touched / total) * 100)}%)`);
      },
    });
    console.log(
      `Re-drove ${rows(result.total)} (${result.levels.toLocaleString('en-US')} levels, ${result.lots.toLocaleString('en-US')} lots) in ` +
        `${result.batches} ${result.batches === 1 ? 'batch' : 'batches'}; audit entry #${result.auditId} as ${actor.id}.`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UnknownStockItemError || err instanceof RedriveTooBroadError) {
      console.error(err.message);
      return EXIT_FAILED;
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exitCode = EXIT_FAILED;
  },
);
