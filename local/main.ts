import { InvalidArgumentError, Option, program } from 'commander';
import { BREAK_MODES, type BreakMode, formatReport, runLocalDrill } from './drill-local.js';

/** `npm run drill:local -- [--rows N] [--keep] [--break MODE] [--env NAME]` */

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 10_000_000) {
    throw new InvalidArgumentError(`got ${JSON.stringify(value)}; allowed: a whole number from 1 to 10000000`);
  }
  return n;
}

// Two warnings that say nothing about the drill: the SDK's Node.js 20 notice, and Node.js's objection to TLS
// ServerName being an IP address (the local clusters are reached at 127.0.0.1; certificates are still verified).
const quiet = (w: Error & { code?: string }) =>
  w.message.startsWith('NodeVersionSupportWarning') || w.code === 'DEP0123';
const defaultWarningHandlers = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!quiet(warning)) for (const handler of defaultWarningHandlers) handler(warning);
});

program
  .name('drill:local')
  .description(
    'Runs the synthesized DR drill (cdk.out) with its bundled Lambdas against a local PostgreSQL 15 and a local RDS stand-in that performs real point-in-time restores.',
  )
  .option('--rows <n>', 'rows in each of users, platform_accounts and audit_logs', wholeNumber, 20_000)
  .option('--keep', 'leave the restored cluster running and print how to connect', false)
  .addOption(new Option('--break <mode>', 'make the drill fail, to watch it fail and clean up').choices(BREAK_MODES))
  .option('--env <name>', 'environment whose synthesized drill runs', 'dev')
  .option('--cdk-out <dir>', 'the synthesized app', 'cdk.out')
  .option('--out <dir>', 'where reports and function logs are written', '.drill-local')
  .action(
    async (opts: { rows: number; keep: boolean; break?: BreakMode; env: string; cdkOut: string; out: string }) => {
      const result = await runLocalDrill({
        environment: opts.env,
        rows: opts.rows,
        keep: opts.keep,
        break: opts.break,
        cdkOut: opts.cdkOut,
        outDir: opts.out,
      });
      for (const line of formatReport(result)) console.log(line);
      if (result.summary) console.log(`\nAlert topic message:\n${result.summary.replace(/^/gm, '  ')}`);
      if (result.kept) {
        const k = result.kept;
        console.log(
          [
            '',
            `Kept ${k.instanceId} running on ${k.host}:${k.port}. Connect (TLS verified against the run's throwaway CA):`,
            `  psql "host=${k.host} port=${k.port} dbname=postgres user=postgres sslmode=disable"   # superuser, local only`,
            `  psql "host=${k.host} port=${k.port} dbname=${k.database} user=${k.verifierUser} sslmode=verify-full sslrootcert=${k.caPath}"`,
            'Stop it and remove its files:',
            `  ${k.stopCommand}`,
          ].join('\n'),
        );
      }
      process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
    },
  );

program.parseAsync().catch((error: unknown) => {
  console.error(`drill:local failed: ${(error as Error)?.message ?? String(error)}`);
  process.exitCode = 1;
});
