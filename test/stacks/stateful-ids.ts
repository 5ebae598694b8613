import { Template } from 'aws-cdk-lib/assertions';
import { environmentStacks } from '../support/app.js';

/** Resource types whose replacement loses data or locks: their logical ids must never change. */
export const STATEFUL_TYPES = [
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBParameterGroup',
  'AWS::RDS::DBSubnetGroup',
  'AWS::KMS::Key',
  'AWS::Backup::BackupVault',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  // Not data, but a rule whose id changes is created again before the old one goes: EC2 refuses the duplicate.
  'AWS::EC2::SecurityGroupIngress',
];

/** `stack -> type -> sorted logical ids` of the stateful resources of one environment (log groups: retained ones). */
export function statefulIds(environment: string): Record<string, Record<string, string[]>> {
  const { app: _app, ...stacks } = environmentStacks(environment);
  const out: Record<string, Record<string, string[]>> = {};
  for (const [name, stack] of Object.entries(stacks)) {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string }
    >;
    const byType: Record<string, string[]> = {};
    for (const [id, r] of Object.entries(resources)) {
      if (!STATEFUL_TYPES.includes(r.Type)) continue;
      if (r.Type === 'AWS::Logs::LogGroup' && r.DeletionPolicy !== 'Retain') continue;
      byType[r.Type] = [...(byType[r.Type] ?? []), id];
    }
    for (const ids of Object.values(byType)) ids.sort();
    out[name] = byType;
  }
  return out;
}
