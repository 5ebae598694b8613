import { z } from 'zod';
import { instanceClassSchema } from '../../contract/config-values.js';
import { backupSchema, checkLockBracketsWrites, primaryVaultWrites } from './backup-schema.js';
import { breakGlassSchema } from './break-glass-schema.js';
import { cutoverSchema } from './cutover-schema.js';
import { drRegionDrillSchema } from './dr-region-drill-schema.js';
import { cidrsOverlap, drSiteSchema } from './dr-site-schema.js';
import { drillSchema, restoreSchema } from './drill-schema.js';
import { logicalBackupSchema } from './logical-backup-schema.js';
import { delayedReplicaSchema, readinessSchema, rewindSchema } from './rewind-schema.js';
import { durationMinutes, parseDailyWindow, parseWeeklyWindow, weeklyMeetsDaily } from './windows.js';

/** RDS needs at least 30 minutes for both windows. */
const MIN_WINDOW_MINUTES = 30;
/** AWS Backup starts no database backup from one hour before a maintenance window until it ends. */
const MAINTENANCE_GAP_MINUTES = 60;
/** RDS ships transaction logs every 5 minutes: no RPO target below that can be met. */
export const MIN_RPO_MINUTES = 5;

const region = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'allowed: an AWS region name such as ap-northeast-2' });

const zones = z
  .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, { message: 'allowed: an availability zone name' }))
  .min(2, { message: 'allowed: at least 2 availability zones' });

export const instanceClass = instanceClassSchema;

const days = (min: number, max: number) =>
  z
    .number()
    .int({ message: `allowed: a whole number of days from ${min} to ${max}` })
    .min(min, { message: `allowed: ${min} to ${max} days` })
    .max(max, { message: `allowed: ${min} to ${max} days` });

const networkSchema = z
  .object({
    /** CIDR of the VPC this project creates. Ignored when `existingVpc` is set. */
    vpcCidr: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/, {
      message: 'allowed: an IPv4 CIDR with a prefix from /16 to /24',
    }),
    /** Import this VPC instead of creating one: ids only, no context lookup. */
    existingVpc: z
      .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'allowed: a VPC id such as vpc-0123456789abcdef0' }),
        isolatedSubnetIds: z
          .array(
            z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'allowed: subnet ids such as subnet-0123abcd' }),
          )
          .min(2, { message: 'allowed: at least 2 isolated subnets, one per availability zone' }),
        /** Route tables of those subnets, in the same order (gateway endpoints attach to them). */
        isolatedRouteTableIds: z.array(
          z.string().regex(/^rtb-[0-9a-f]{8,17}$/, { message: 'allowed: route table ids such as rtb-0123abcd' }),
        ),
      })
      .strict()
      .optional(),
  })
  .strict();

const databaseSchema = z
  .object({
    instanceClass,
    multiAz: z.boolean(),
    allocatedStorageGiB: z.number().int().min(20, { message: 'allowed: 20 to 65536 GiB (gp3)' }).max(65536, {
      message: 'allowed: 20 to 65536 GiB (gp3)',
    }),
    maxAllocatedStorageGiB: z.number().int().max(65536, { message: 'allowed: at most 65536 GiB' }),
    /** Days of automated backups (point-in-time recovery). AWS Backup's continuous rule uses the same value. */
    backupRetentionDays: days(1, 35),
    /** Daily, UTC, `hh24:mi-hh24:mi`. */
    backupWindow: z.string(),
    /** Weekly, UTC, `ddd:hh24:mi-ddd:hh24:mi`. */
    maintenanceWindow: z.string(),
    /** Days the automated backups replicated to the DR region are kept. */
    replicatedBackupRetentionDays: days(1, 35),
    deletionProtection: z.boolean(),
    /** What happens to the instance when it leaves the stack. */
    removalPolicy: z.enum(['retain', 'snapshot']),
    databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: 'allowed: a lowercase PostgreSQL name' }),
    masterUsername: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,15}$/, { message: 'allowed: 1-16 lowercase letters, digits, _' }),
    /** Statements slower than this are logged (log_min_duration_statement). */
    slowStatementMs: z.number().int().min(1),
    monitoringIntervalSeconds: z.union([
      z.literal(1),
      z.literal(5),
      z.literal(10),
      z.literal(15),
      z.literal(30),
      z.literal(60),
    ]),
    performanceInsightsRetentionDays: z.union([z.literal(7), z.literal(731)]),
  })
  .strict();

export const environmentSchema = z
  .object({
    name: z.string(),
    account: z.string().regex(/^\d{12}$/, { message: 'allowed: a 12-digit AWS account id' }),
    primaryRegion: region,
    drRegion: region,
    availabilityZones: z.object({ primary: zones, dr: zones }).strict(),
    /** Termination protection on the stateful stacks (keys, database, vaults). */
    terminationProtection: z.boolean(),
    network: networkSchema,
    database: databaseSchema,
    /** Days CloudWatch keeps the logs of this project's Lambdas, flow logs and the database. */
    logRetentionDays: z.union([
      z.literal(30),
      z.literal(90),
      z.literal(180),
      z.literal(365),
      z.literal(731),
      z.literal(1827),
      z.literal(3653),
    ]),
    alerts: z
      .object({
        emails: z.array(z.email({ message: 'allowed: an e-mail address such as sre@example.com' })).min(1, {
          message: 'allowed: at least one e-mail address',
        }),
      })
      .strict(),
    targets: z
      .object({
        rtoMinutes: z.number().int().min(1, { message: 'allowed: at least 1 minute' }),
        rpoMinutes: z
          .number()
          .int()
          .min(MIN_RPO_MINUTES, {
            message: `allowed: at least ${MIN_RPO_MINUTES} minutes (RDS ships transaction logs every 5 minutes)`,
          }),
        /** The RPO alarm fires at rpoMinutes + this, so RDS's normal 5-minute log shipping does not flap it. */
        rpoAlarmMarginMinutes: z.number().int().min(0),
      })
      .strict(),
    backup: backupSchema,
    /** The break-glass role: the only principal that may disable or delete the keys, re-write their policies or grant on them. */
    breakGlass: breakGlassSchema,
    drill: drillSchema,
    restore: restoreSchema,
    logicalBackup: logicalBackupSchema,
    cutover: cutoverSchema,
    delayedReplica: delayedReplicaSchema,
    rewind: rewindSchema,
    readiness: readinessSchema,
    drRegionDrill: drRegionDrillSchema.default(drRegionDrillSchema.parse({})),
    /** Region loss: the DR-region network, warm standby and failover workflow. */
    drSite: drSiteSchema.default(drSiteSchema.parse({})),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.readiness.drStandby && !env.drSite.standby.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['readiness', 'drStandby'],
        message: 'allowed: true only with drSite.standby.enabled (no standby: its lag alarm would breach forever)',
      });
    }
    if (env.drRegion === env.primaryRegion) {
      ctx.addIssue({
        code: 'custom',
        path: ['drRegion'],
        message: `allowed: a region other than the primary region (${env.primaryRegion})`,
      });
    }
    for (const [key, r] of [
      ['primary', env.primaryRegion],
      ['dr', env.drRegion],
    ] as const) {
      const wrong = env.availabilityZones[key].filter((z) => !z.startsWith(r));
      if (wrong.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['availabilityZones', key], message: `allowed: zones of ${r} only` });
      }
    }
    const db = env.database;
    if (db.maxAllocatedStorageGiB <= db.allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxAllocatedStorageGiB'],
        message: `allowed: more than allocatedStorageGiB (${db.allocatedStorageGiB}), so storage can grow`,
      });
    }
    const backup = parseDailyWindow(db.backupWindow);
    if (!backup || durationMinutes(backup) < MIN_WINDOW_MINUTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'backupWindow'],
        message: `allowed: hh24:mi-hh24:mi in UTC, at least ${MIN_WINDOW_MINUTES} minutes (e.g. 18:00-18:30)`,
      });
    }
    const maintenance = parseWeeklyWindow(db.maintenanceWindow);
    if (!maintenance || durationMinutes(maintenance) < MIN_WINDOW_MINUTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maintenanceWindow'],
        message: `allowed: ddd:hh24:mi-ddd:hh24:mi in UTC, at least ${MIN_WINDOW_MINUTES} minutes (e.g. sun:20:00-sun:20:30)`,
      });
    }
    if (backup && maintenance && weeklyMeetsDaily(maintenance, backup, MAINTENANCE_GAP_MINUTES)) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maintenanceWindow'],
        message:
          `allowed: a window that neither overlaps the backup window (${db.backupWindow}) nor starts within ` +
          `${MAINTENANCE_GAP_MINUTES} minutes after it`,
      });
    }
    // The continuous rule's retention IS database.backupRetentionDays, so the primary vault's lock must admit it too.
    checkLockBracketsWrites(
      ctx,
      ['backup', 'vaultLock', 'primary'],
      'primary',
      env.backup.vaultLock.primary,
      primaryVaultWrites(env.backup, db.backupRetentionDays),
    );
    if (!env.network.existingVpc && cidrsOverlap(env.drSite.vpcCidr, env.network.vpcCidr)) {
      ctx.addIssue({
        code: 'custom',
        path: ['drSite', 'vpcCidr'],
        message: `allowed: a CIDR that does not overlap the primary VPC (network.vpcCidr ${env.network.vpcCidr})`,
      });
    }
    const lagThresholdSeconds = env.targets.rpoMinutes * 60 - env.drSite.standby.lagAlarmMarginSeconds;
    if (lagThresholdSeconds <= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['drSite', 'standby', 'lagAlarmMarginSeconds'],
        message: `allowed: less than the RPO target (targets.rpoMinutes ${env.targets.rpoMinutes} = ${env.targets.rpoMinutes * 60} seconds)`,
      });
    }
    const existing = env.network.existingVpc;
    if (existing && existing.isolatedSubnetIds.length !== env.availabilityZones.primary.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'existingVpc', 'isolatedSubnetIds'],
        message: `allowed: one subnet per availability zone in availabilityZones.primary (${env.availabilityZones.primary.length})`,
      });
    }
    if (existing && existing.isolatedRouteTableIds.length !== existing.isolatedSubnetIds.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'existingVpc', 'isolatedRouteTableIds'],
        message: `allowed: one route table per subnet in isolatedSubnetIds (${existing.isolatedSubnetIds.length})`,
      });
    }
  });

export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;
