import { ACCOUNTS } from './accounts.js';
import type { EnvironmentInput } from './schema.js';

/**
 * What every environment shares. Times: the backup window is 18:00-18:30 UTC (03:00 Asia/Seoul); the
 * maintenance window Sunday 20:00 UTC (Monday 05:00 Asia/Seoul) starts 90 minutes after it ends.
 */
function base(name: keyof typeof ACCOUNTS): EnvironmentInput {
  return {
    name,
    account: ACCOUNTS[name],
    primaryRegion: 'ap-northeast-2',
    drRegion: 'ap-northeast-1',
    availabilityZones: {
      primary: ['ap-northeast-2a', 'ap-northeast-2b', 'ap-northeast-2c'],
      dr: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    },
    terminationProtection: false,
    network: { vpcCidr: '10.40.0.0/16' },
    database: {
      instanceClass: 'db.t4g.medium',
      multiAz: false,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      backupRetentionDays: 7,
      backupWindow: '18:00-18:30',
      maintenanceWindow: 'sun:20:00-sun:20:30',
      replicatedBackupRetentionDays: 7,
      deletionProtection: false,
      removalPolicy: 'snapshot',
      databaseName: 'authdb',
      masterUsername: 'authdb_admin',
      slowStatementMs: 500,
      monitoringIntervalSeconds: 60,
      performanceInsightsRetentionDays: 7,
    },
    logRetentionDays: 90,
    alerts: { emails: [`authdb-dr-${name}@example.com`] },
    targets: { rtoMinutes: 15, rpoMinutes: 5, rpoAlarmMarginMinutes: 2 },
    backup: {
      breakGlassRoleName: 'authdb-dr-break-glass',
      cdkBootstrapQualifier: 'hnb659fds',
      scheduleTimeZone: 'Asia/Seoul',
      vaultLock: { primary: { mode: 'none' }, dr: { mode: 'none' } },
      // Point-in-time recovery; its retention is database.backupRetentionDays (one value, see schema.ts). The schedule
      // only runs AWS Backup's daily sync job of the continuous recovery point, an hour before the snapshot tiers.
      continuous: { schedule: 'cron(0 2 * * ? *)', startWindowMinutes: 60, completionWindowMinutes: 180 },
      rules: [
        // Staggered (Asia/Seoul): each tier gets its own recovery point on days they coincide, and no two jobs of the
        // database start together. Monthly runs at 06:00, clear of the Monday 05:00-05:30 maintenance window (AWS
        // Backup starts no database backup from an hour before it until it ends).
        {
          name: 'Daily',
          schedule: 'cron(0 3 * * ? *)',
          retentionDays: 7,
          copyRetentionDays: 7,
          startWindowMinutes: 60,
          completionWindowMinutes: 180,
        },
        {
          name: 'Weekly',
          schedule: 'cron(0 4 ? * SUN *)',
          retentionDays: 35,
          copyRetentionDays: 35,
          startWindowMinutes: 60,
          completionWindowMinutes: 180,
        },
        {
          name: 'Monthly',
          schedule: 'cron(0 6 1 * ? *)',
          retentionDays: 90,
          copyRetentionDays: 90,
          startWindowMinutes: 60,
          completionWindowMinutes: 240,
        },
      ],
      restoreTesting: { schedule: 'cron(0 11 ? * 3#1 *)', instanceClass: 'db.t4g.medium', validationWindowHours: 2 },
      reportRetentionDays: 365,
    },
    drill: {
      schedule: 'cron(0 10 ? * WED *)',
      scheduleTimeZone: 'Asia/Seoul',
      instanceClass: 'db.t4g.medium',
      maxWaitMinutes: 90,
      pollSeconds: 30,
      settleMinutes: 5,
      tables: [
        { name: 'users', timeColumn: 'created_at', tolerance: 0 },
        { name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 },
        { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
      ],
      verifierRole: 'authdb_verifier',
      concurrency: 3,
      statementTimeoutSeconds: 300,
      reportRetentionDays: 400,
      sweeperMaxAgeHours: 6,
    },
    // Placeholders like the account ids: name the incident responders' IAM users (sessions with MFA) before deploying.
    breakGlass: { trustedPrincipalArns: [`arn:aws:iam::${ACCOUNTS[name]}:user/authdb-dr-incident-responder`] },
    restore: { allowedInstanceClasses: ['db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge'] },
    // A second person approves every cutover (two-person rule), within an hour; off only in dev (set below).
    cutover: { dataLossAcknowledgementAfterHours: 1, requireApproval: true, approvalTimeoutMinutes: 60 },
    // Off outside prod: a replica doubles the database cost. 60 minutes: see the README (bad writes and rewind).
    delayedReplica: {
      enabled: false,
      applyDelayMinutes: 60,
      instanceClass: 'db.t4g.medium',
      generation: 1,
      replayControlRole: 'authdb_replay_control',
    },
    rewind: { marginMinutes: 5, pollSeconds: 15, replayTimeoutMinutes: 30, promoteTimeoutMinutes: 30 },
    readiness: { scheduleMinutes: 5, breachPeriods: 3, drillMaxAgeDays: 8, drDrillMaxAgeDays: 35 },
    // Monthly, in the DR region, from the replicated automated backups (see the README's DR-region drill).
    drRegionDrill: {
      enabled: true,
      schedule: 'cron(0 14 ? * 3#2 *)',
      backupWaitMinutes: 30,
      primaryCheckTimeoutSeconds: 5,
    },
    // The standby is off outside prod: it costs about as much as the primary instance (README: region loss).
    drSite: {
      vpcCidr: '10.50.0.0/16',
      standby: { enabled: false, instanceClass: 'db.t4g.medium', lagAlarmMarginSeconds: 60 },
      failover: {
        pollSeconds: 30,
        promoteTimeoutMinutes: 30,
        restoreTimeoutMinutes: 90,
        instanceClasses: ['db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge'],
      },
    },
  };
}

const dev = base('dev');
// One engineer exercises the whole restore in dev: no second person to approve a cutover there.
dev.cutover = { ...dev.cutover, requireApproval: false };

const staging: EnvironmentInput = {
  ...base('staging'),
  network: { vpcCidr: '10.41.0.0/16' },
  drSite: { ...base('staging').drSite, vpcCidr: '10.51.0.0/16' },
};
staging.database = { ...staging.database, backupRetentionDays: 14, replicatedBackupRetentionDays: 14 };
// Locked without a cooling-off date (governance-style): it enforces retention but can still be removed.
staging.backup = {
  ...staging.backup,
  vaultLock: {
    primary: { mode: 'governance', minRetentionDays: 7, maxRetentionDays: 365 },
    dr: { mode: 'governance', minRetentionDays: 7, maxRetentionDays: 365 },
  },
};

const prodBase = base('prod');
/** Prod keeps each tier, and its copy in the DR region, longer: daily 35 days, weekly 90, monthly 180. */
const PROD_RULE_RETENTION_DAYS: Record<string, number> = { Daily: 35, Weekly: 90, Monthly: 180 };
const prod: EnvironmentInput = {
  ...prodBase,
  terminationProtection: true,
  network: { vpcCidr: '10.42.0.0/16' },
  database: {
    ...prodBase.database,
    instanceClass: 'db.r6g.large',
    multiAz: true,
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1000,
    backupRetentionDays: 35,
    replicatedBackupRetentionDays: 35,
    deletionProtection: true,
    removalPolicy: 'retain',
    performanceInsightsRetentionDays: 731,
  },
  logRetentionDays: 365,
  delayedReplica: { ...prodBase.delayedReplica, enabled: true, instanceClass: 'db.r6g.large' },
  // The standby exists in prod (drSite.standby): its lag is an RPO figure like the others.
  readiness: { ...prodBase.readiness, scheduleMinutes: 1, drStandby: true },
  // The warm standby: same class as the primary, so a promoted standby carries the production load.
  drSite: {
    ...prodBase.drSite,
    vpcCidr: '10.52.0.0/16',
    standby: { enabled: true, instanceClass: 'db.r6g.large', lagAlarmMarginSeconds: 60 },
  },
  backup: {
    ...prodBase.backup,
    // Compliance mode: after 3 days nobody, not even the account root, can remove the lock or shorten a retention.
    // min = the shortest retention written (35 days), max leaves room to keep the monthly tier up to a year.
    vaultLock: {
      primary: { mode: 'compliance', minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 3 },
      dr: { mode: 'compliance', minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 3 },
    },
    rules: prodBase.backup.rules.map((rule) => {
      const days = PROD_RULE_RETENTION_DAYS[rule.name];
      return { ...rule, retentionDays: days!, copyRetentionDays: days! };
    }),
  },
  // Dumps locked in compliance mode for 35 days, kept 180 days (strategy: 7-30 days hot, 3-6 months long term).
  logicalBackup: { objectLockMode: 'COMPLIANCE', retentionDays: 35, longTermRetentionDays: 180 },
};

/** The raw settings of every environment; `loadConfig` validates them. */
export const ENVIRONMENTS: Record<string, EnvironmentInput> = { dev, staging, prod };
