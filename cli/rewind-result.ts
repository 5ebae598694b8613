import { z } from 'zod';
import type { Environment } from './context.js';
import { formatDuration, formatMinutes } from './format.js';
import type { ExecutionResult } from './results.js';
import { bothZones } from './time.js';

/*
 * What a rewind execution produced: its dry run's plan (steps, expected R, expected time), or the report of a real
 * rewind (R against T, RTO, the promoted instance, the cutover). Parsed leniently, like the other workflows' output.
 */

const dryRunSchema = z
  .object({
    canRewind: z.boolean(),
    lastReplayAt: z.string().nullish(),
    expectedRecoveryPoint: z.string().optional(),
    expectedSeconds: z.number().nullish(),
    steps: z.array(z.string()).default([]),
  })
  .loose();

const reportSchema = z
  .object({
    outcome: z.string().optional(),
    incidentTime: z.string().optional(),
    recoveryPoint: z.string().nullish(),
    recoveryGapSeconds: z.number().nullish(),
    promotedInstanceId: z.string().nullish(),
    rtoSeconds: z.number().nullish(),
    cutover: z
      .object({
        requested: z.boolean().optional(),
        productionRenamedTo: z.string().nullish(),
        completed: z.boolean().optional(),
        rolledBack: z.object({ holder: z.string().nullish() }).loose().nullish(),
      })
      .loose()
      .optional(),
    next: z.string().optional(),
    reportKey: z.string().optional(),
  })
  .loose();

type Base = Pick<ExecutionResult, 'kind' | 'report'>;

export function rewindResult(env: Environment, raw: unknown, base: Base, unparsed?: string): ExecutionResult {
  const rtoTarget = env.config.targets.rtoMinutes * 60;
  const production = env.sourceInstanceId;
  const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  if (raw !== null && typeof raw === 'object' && 'canRewind' in raw) {
    const parsed = dryRunSchema.safeParse(raw);
    const plan = parsed.success ? parsed.data : { canRewind: false, steps: [] };
    return {
      kind: base.kind,
      expected: {
        canRewind: plan.canRewind,
        ...(plan.expectedRecoveryPoint ? { recoveryPoint: plan.expectedRecoveryPoint } : {}),
        seconds: plan.expectedSeconds ?? null,
        rtoTargetSeconds: rtoTarget,
        steps: plan.steps,
      },
      next: plan.canRewind
        ? `Start it: npx authdb-dr rewind start --env ${env.name} --incident-time <the same T> [--confirm-cutover ${production}]`
        : `Use the point-in-time restore: npx authdb-dr restore start --env ${env.name} --source ${production} --time <before T> --target ${production}-restored-<n>`,
      ...(unparsed || !parsed.success ? { unparsed: unparsed ?? issues(parsed.error!) } : {}),
    };
  }
  const parsed = reportSchema.safeParse(raw);
  const out = parsed.success ? parsed.data : {};
  const gap = out.recoveryGapSeconds ?? undefined;
  const cut = out.cutover;
  const cutover = !cut?.requested
    ? `not requested: ${production} is unchanged; the promoted replica runs beside it`
    : cut.completed
      ? `done: ${production} is the rewound database; the previous one is ${cut.productionRenamedTo ?? '-'}`
      : cut.rolledBack
        ? `rolled back: ${production} is held by the ${cut.rolledBack.holder === 'restored' ? 'rewound' : 'original'} instance`
        : 'requested, not done';
  const margin = env.config.rewind.marginMinutes * 60;
  return {
    ...base,
    ...(out.reportKey ? { report: { key: out.reportKey, bucket: base.report?.bucket ?? '-' } } : {}),
    instanceId: cut?.completed ? production : (out.promotedInstanceId ?? undefined),
    recoveryPoint: out.recoveryPoint
      ? `R = ${bothZones(out.recoveryPoint)}, ${gap ?? '?'} s before T = ${out.incidentTime ? bothZones(out.incidentTime) : '?'}`
      : undefined,
    rto: {
      seconds: out.rtoSeconds ?? undefined,
      targetSeconds: rtoTarget,
      withinTarget: out.rtoSeconds == null ? undefined : out.rtoSeconds <= rtoTarget,
    },
    // The bad-write path's RPO is how far R lies before T: at most the configured margin.
    rpo: { lagSeconds: gap, targetSeconds: margin, withinTarget: gap === undefined ? undefined : gap <= margin },
    cutover,
    ...(out.next ? { next: out.next } : {}),
    ...(unparsed || !parsed.success ? { unparsed: unparsed ?? issues(parsed.error!) } : {}),
  };
}

/** The dry run's plan as labelled rows. */
export function expectedRows(expected: NonNullable<ExecutionResult['expected']>): [string, string | undefined][] {
  const target = ` (RTO target ${formatMinutes(expected.rtoTargetSeconds / 60)})`;
  return [
    ['Dry run', expected.canRewind ? 'the rewind can proceed' : 'the rewind would be REFUSED'],
    ['Expected R', expected.recoveryPoint],
    [
      'Expected time',
      expected.seconds == null ? undefined : `about ${formatDuration(expected.seconds * 1000)}${target}`,
    ],
    ...expected.steps.map((step, i): [string, string] => [`Step ${i + 1}`, step]),
  ];
}
