import { z } from 'zod';

const instanceClass = z
  .string()
  .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'allowed: an RDS instance class such as db.t4g.medium' });
const wholeRange = (min: number, max: number, unit: string) =>
  z
    .number()
    .int({ message: `allowed: a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { message: `allowed: ${min} to ${max} ${unit}` })
    .max(max, { message: `allowed: ${min} to ${max} ${unit}` });

/** The warm standby: a cross-region read replica `authdb-ENV-standby` in the DR region. */
const standbySchema = z
  .object({
    /** Off by default: a standby costs about as much as the primary instance (README: region loss). */
    enabled: z.boolean().default(false),
    instanceClass: instanceClass.default('db.t4g.medium'),
    /** The lag alarm fires at targets.rpoMinutes minus this margin, so it warns before the RPO is lost. */
    lagAlarmMarginSeconds: wholeRange(0, 3600, 'seconds').default(60),
  })
  .strict();

/** The DR-region failover workflow. */
const failoverSchema = z
  .object({
    pollSeconds: wholeRange(5, 120, 'seconds').default(30),
    /** Promotion of the standby until it is a writable, available instance. */
    promoteTimeoutMinutes: wholeRange(5, 120, 'minutes').default(30),
    /** A point-in-time or recovery-point restore until the new instance is available (measured 16-25 minutes). */
    restoreTimeoutMinutes: wholeRange(15, 240, 'minutes').default(90),
    /** Class of an instance restored in the DR region (modes pitr and recovery-point); the input may pick another. */
    instanceClasses: z
      .array(instanceClass)
      .min(1, { message: 'allowed: at least one RDS instance class' })
      .default(['db.t4g.medium', 'db.r6g.large']),
  })
  .strict();

/**
 * The region-loss site in the DR region: its network, the warm standby and the failover workflow. One nested object
 * with defaults, so that an environment that says nothing gets a network and no standby.
 */
export const drSiteSchema = z
  .object({
    /** CIDR of the DR-region VPC; must not overlap the primary VPC (so the two can be peered when rebuilding). */
    vpcCidr: z
      .string()
      .regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/, {
        message: 'allowed: an IPv4 CIDR with a prefix from /16 to /24',
      })
      .default('10.60.0.0/16'),
    standby: standbySchema.default({ enabled: false, instanceClass: 'db.t4g.medium', lagAlarmMarginSeconds: 60 }),
    failover: failoverSchema.default({
      pollSeconds: 30,
      promoteTimeoutMinutes: 30,
      restoreTimeoutMinutes: 90,
      instanceClasses: ['db.t4g.medium', 'db.r6g.large'],
    }),
  })
  .strict();

export type DrSiteConfig = z.infer<typeof drSiteSchema>;

/** [first, last] address of an IPv4 CIDR as numbers, or undefined when it is not one. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const prefix = Number(match[5]);
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return [first, first + size - 1];
}

/** Whether two IPv4 CIDRs share an address (false when either is not a CIDR: the regex reports that). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1];
}
