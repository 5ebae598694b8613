import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsStandIn, decodeAwsChunked } from '../../local/stand-in/aws-stand-in.js';
import { LocalRds } from '../../local/stand-in/local-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, REGION } from '../support/state-machine.js';

const SOURCE = 'authdb-dev';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-local`;
const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'test' };

let parentDir: string;
let source: PostgresServer;
let baseBackupDir: string;
let baseBackupAt: Date;
let rds: LocalRds;
let standIn: AwsStandIn;
let client: RDSClient;
const events: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function describe1(id: string) {
  return (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
}

async function waitForStatus(id: string, status: string, timeoutMs = 45_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = (await describe1(id)).DBInstanceStatus!;
    if (seen.at(-1) !== current) seen.push(current);
    if (current === status) return seen;
    if (Date.now() > deadline || current === 'incompatible-restore') {
      throw new Error(`${id} is ${current}, not ${status} (seen ${seen.join(', ')}): ${events.join('\n')}`);
    }
    await sleep(100);
  }
}

/** Waits until the source's LatestRestorableTime is past `instant`. */
async function waitRestorable(instant: Date): Promise<Date> {
  for (let i = 0; i < 200; i++) {
    const latest = (await describe1(SOURCE)).LatestRestorableTime!;
    if (latest > instant) return latest;
    await sleep(100);
  }
  throw new Error(`LatestRestorableTime never passed ${instant.toISOString()}`);
}

beforeAll(async () => {
  parentDir = mkdtempSync(join(tmpdir(), 'authdb-dr-stand-in-test-'));
  chmodSync(parentDir, 0o755); // the postgres OS user reaches the restored clusters through it
  source = await startPostgres({ archive: true, walSegmentMb: 1 });
  await source.createDatabase('authdb');
  await source.psql('CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL)', 'authdb');
  await source.psql(`INSERT INTO users (email) SELECT 'before' || i FROM generate_series(1, 10) i`, 'authdb');
  baseBackupDir = await source.baseBackup();
  baseBackupAt = new Date();
  rds = new LocalRds({
    region: REGION,
    account: ACCOUNT,
    parentDir,
    shipIntervalMs: 300,
    onEvent: (e) => events.push(e),
  });
  rds.addSource({
    id: SOURCE,
    server: source,
    baseBackupDir,
    baseBackupAt,
    databaseName: 'authdb',
    masterUsername: 'authdb_admin',
    instanceClass: 'db.t4g.medium',
    deletionProtection: true,
    tags: [{ Key: 'environment', Value: 'dev' }],
  });
  standIn = new AwsStandIn({
    rds,
    objectsDir: join(parentDir, 's3'),
    buckets: ['reports'],
    topics: [TOPIC],
    secrets: { [SECRET]: '{"username":"authdb_admin","password":"pw"}' },
  });
  await standIn.start();
  client = new RDSClient({ region: REGION, endpoint: standIn.endpoint, credentials, maxAttempts: 1 });
});

afterAll(async () => {
  await standIn?.stop();
  await rds?.stop();
  await source?.stop();
  rmSync(parentDir, { recursive: true, force: true });
});

describe('RDS stand-in', () => {
  it('describes the source with its endpoint, and LatestRestorableTime advances as WAL is archived', async () => {
    const first = await describe1(SOURCE);
    expect(first).toMatchObject({
      DBInstanceStatus: 'available',
      Endpoint: { Address: '127.0.0.1', Port: source.port },
      DBInstanceArn: rds.arnOf(SOURCE),
      TagList: [{ Key: 'environment', Value: 'dev' }],
    });
    const later = await waitRestorable(first.LatestRestorableTime!);
    expect(later.getTime()).toBeGreaterThan(first.LatestRestorableTime!.getTime());
    const all = await client.send(new DescribeDBInstancesCommand({}));
    expect(all.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual([SOURCE]);
  });

  it('answers an unknown instance with DBInstanceNotFound, as RDS does', async () => {
    await expect(describe1('nope')).rejects.toMatchObject({
      name: 'DBInstanceNotFoundFault',
      message: 'DBInstance nope not found.',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('restores to a point in time: the new cluster has what was committed before it and nothing after', async () => {
    await sleep(50);
    const target = new Date();
    await sleep(50);
    await source.psql(`INSERT INTO users (email) SELECT 'after' || i FROM generate_series(1, 7) i`, 'authdb');
    await waitRestorable(new Date());

    const id = 'drill-pitr-test';
    const tags = [
      { Key: 'authdb-dr:purpose', Value: 'drill-scratch' },
      { Key: 'authdb-dr:execution', Value: 'arn:aws:states:x:1:execution:m:e' },
    ];
    const created = await client.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: SOURCE,
        TargetDBInstanceIdentifier: id,
        RestoreTime: target,
        DBInstanceClass: 'db.t4g.micro',
        VpcSecurityGroupIds: ['sg-1'],
        DeletionProtection: false,
        Tags: tags,
      }),
    );
    expect(created.DBInstance).toMatchObject({ DBInstanceStatus: 'creating', DBInstanceClass: 'db.t4g.micro' });
    expect(created.DBInstance?.Endpoint).toBeUndefined();

    // Deleting a restore in progress is refused (the drill's cleanup retries it).
    await expect(
      client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });

    const statuses = await waitForStatus(id, 'available');
    expect(statuses).toEqual(['creating', 'available']);
    const restored = await describe1(id);
    expect(restored.VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: 'sg-1', Status: 'active' }]);
    const server = rds.serverOf(id)!;
    expect(restored.Endpoint).toEqual({ Address: '127.0.0.1', Port: server.port, HostedZoneId: 'LOCAL' });
    expect(
      await server.psql(`SELECT count(*) FILTER (WHERE email LIKE 'before%'), count(*) FROM users`, 'authdb'),
    ).toBe('10|10');
    expect(await source.psql('SELECT count(*) FROM users', 'authdb')).toBe('17');

    const arn = rds.arnOf(id);
    await client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'extra', Value: '1' }] }));
    const listed = await client.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    expect(listed.TagList).toEqual([...tags, { Key: 'extra', Value: '1' }]);

    const deleted = await client.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
    );
    expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
    const deadline = Date.now() + 30_000;
    while ((await describe1(id).catch(() => undefined)) !== undefined) {
      if (Date.now() > deadline) throw new Error('never deleted');
      await sleep(100);
    }
    expect(existsSync(server.dataDir)).toBe(false);
  });

  it('refuses restores RDS refuses, with RDS error codes', async () => {
    const latest = (await describe1(SOURCE)).LatestRestorableTime!;
    const restore = (input: Partial<ConstructorParameters<typeof RestoreDBInstanceToPointInTimeCommand>[0]>) =>
      client.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: SOURCE,
          TargetDBInstanceIdentifier: 'drill-refused',
          ...input,
        }),
      );
    await expect(restore({ RestoreTime: new Date(latest.getTime() + 3_600_000) })).rejects.toMatchObject({
      name: 'InvalidRestoreFault',
      message: expect.stringContaining('outside the restorable window of authdb-dev'),
    });
    await expect(restore({ RestoreTime: new Date('2020-01-01T00:00:00Z') })).rejects.toMatchObject({
      name: 'InvalidRestoreFault',
    });
    await expect(restore({})).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(restore({ UseLatestRestorableTime: true, TargetDBInstanceIdentifier: SOURCE })).rejects.toMatchObject({
      name: 'DBInstanceAlreadyExistsFault',
    });
    await expect(
      restore({ UseLatestRestorableTime: true, TargetDBInstanceIdentifier: 'bad--name' }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('bad--name') });
    await expect(
      restore({ UseLatestRestorableTime: true, SourceDBInstanceIdentifier: 'missing' }),
    ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    await expect(
      client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: SOURCE, SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringContaining('protected') });
    await expect(client.send(new StopDBInstanceCommand({ DBInstanceIdentifier: SOURCE }))).rejects.toThrow(
      /does not implement StopDBInstance/,
    );
    expect((await describe1(SOURCE)).DBInstanceStatus).toBe('available');
  });
});

describe('the other services the drill calls', () => {
  it('publishes to known topics only (SNS)', async () => {
    const sns = new SNSClient({ region: REGION, endpoint: standIn.endpoint, credentials });
    await sns.send(new PublishCommand({ TopicArn: TOPIC, Subject: 'drill', Message: 'line 1\nline 2 & <3>' }));
    expect(standIn.published.at(-1)).toEqual({ topicArn: TOPIC, subject: 'drill', message: 'line 1\nline 2 & <3>' });
    await expect(sns.send(new PublishCommand({ TopicArn: `${TOPIC}-x`, Message: 'm' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });

  it('writes objects to the local folder (S3, path style)', async () => {
    const s3 = new S3Client({ region: REGION, endpoint: standIn.endpoint, credentials, forcePathStyle: true });
    const body = JSON.stringify({ outcome: 'succeeded' }, null, 2);
    await s3.send(new PutObjectCommand({ Bucket: 'reports', Key: 'drills/dev/2026/11/e.json', Body: body }));
    expect(readFileSync(join(parentDir, 's3', 'reports', 'drills/dev/2026/11/e.json'), 'utf8')).toBe(body);
    await expect(s3.send(new PutObjectCommand({ Bucket: 'other', Key: 'k', Body: 'x' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    expect(decodeAwsChunked(Buffer.from('5;chunk-signature=x\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n')).toString()).toBe(
      'hello!!!',
    );
  });

  it('lists executions by state machine and status (Step Functions)', async () => {
    const machine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-dev-drill`;
    standIn.executions.push(
      { executionArn: `${machine}:a`, stateMachineArn: machine, name: 'a', status: 'RUNNING', startDate: new Date() },
      { executionArn: `${machine}:b`, stateMachineArn: machine, name: 'b', status: 'SUCCEEDED', startDate: new Date() },
    );
    const sfn = new SFNClient({ region: REGION, endpoint: standIn.endpoint, credentials });
    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((e) => e.name)).toEqual(['a']);
    expect(running.executions?.[0]?.startDate).toBeInstanceOf(Date);
  });

  it('returns the master secret by ARN only (Secrets Manager)', async () => {
    const secrets = new SecretsManagerClient({ region: REGION, endpoint: standIn.endpoint, credentials });
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: SECRET }));
    expect(JSON.parse(secret.SecretString!)).toEqual({ username: 'authdb_admin', password: 'pw' });
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: `${SECRET}x` }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('injected failures', () => {
  it('--break api-error: the restore call fails as RDS fails when it has no capacity', async () => {
    const broken = new LocalRds({ region: REGION, account: ACCOUNT, parentDir, fault: { kind: 'api-error' } });
    const server = new AwsStandIn({ rds: broken, objectsDir: parentDir, buckets: [], topics: [] });
    await server.start();
    try {
      const c = new RDSClient({ region: REGION, endpoint: server.endpoint, credentials, maxAttempts: 1 });
      await expect(
        c.send(
          new RestoreDBInstanceToPointInTimeCommand({
            SourceDBInstanceIdentifier: SOURCE,
            TargetDBInstanceIdentifier: 'drill-x',
            UseLatestRestorableTime: true,
          }),
        ),
      ).rejects.toMatchObject({ name: 'InsufficientDBInstanceCapacityFault' });
    } finally {
      await server.stop();
      await broken.stop();
    }
  });

  /** A second RDS on the same source whose LatestRestorableTime stays at the base backup (it ships no logs). */
  async function brokenRds(fault: ConstructorParameters<typeof LocalRds>[0]['fault']) {
    const broken = new LocalRds({
      region: REGION,
      account: ACCOUNT,
      parentDir,
      fault,
      shipIntervalMs: 3_600_000,
      onEvent: (e) => events.push(e),
    });
    broken.addSource({
      id: SOURCE,
      server: source,
      baseBackupDir,
      baseBackupAt,
      databaseName: 'authdb',
      masterUsername: 'authdb_admin',
      instanceClass: 'db.t4g.medium',
      deletionProtection: true,
    });
    const server = new AwsStandIn({ rds: broken, objectsDir: parentDir, buckets: [], topics: [] });
    await server.start();
    const c = new RDSClient({ region: REGION, endpoint: server.endpoint, credentials, maxAttempts: 1 });
    const restoreLatest = (id: string) =>
      c.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: SOURCE,
          TargetDBInstanceIdentifier: id,
          UseLatestRestorableTime: true,
        }),
      );
    const status = async (id: string) =>
      (await c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!.DBInstanceStatus;
    const until = async (id: string, wanted: string) => {
      for (let i = 0; i < 300; i++) {
        const current = await status(id);
        if (current === wanted || current === 'incompatible-restore') return `${current} ${events.at(-1)}`;
        await sleep(100);
      }
      return status(id);
    };
    return { broken, server, c, restoreLatest, until };
  }

  it('--break bad-status: the restored instance ends in incompatible-restore, and can be deleted', async () => {
    const { broken, server, c, restoreLatest, until } = await brokenRds({ kind: 'bad-status' });
    try {
      await restoreLatest('drill-bad');
      expect(await until('drill-bad', 'incompatible-restore')).toMatch(/^incompatible-restore .*--break bad-status/);
      expect(broken.serverOf('drill-bad')).toBeUndefined();
      await c.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'drill-bad', SkipFinalSnapshot: true }));
      await expect(
        c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-bad' })).then(async () => {
          await sleep(500);
          return c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'drill-bad' }));
        }),
      ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    } finally {
      await server.stop();
      await broken.stop();
    }
  });

  it('--break lost-rows: the restored cluster lacks the oldest rows of the named table', async () => {
    const { broken, server, restoreLatest, until } = await brokenRds({ kind: 'lost-rows', table: 'users', rows: 3 });
    try {
      await restoreLatest('drill-lossy');
      expect(await until('drill-lossy', 'available')).toMatch(/^available /);
      // The source had 10 users at the base backup; the 3 oldest are gone.
      const restored = broken.serverOf('drill-lossy')!;
      expect(await restored.psql(`SELECT count(*), min(email) FROM users`, 'authdb')).toBe('7|before10');
    } finally {
      await server.stop();
      await broken.stop();
    }
  });
});
