import { Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema.js';

export interface EnvironmentStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Availability zones of this stack's region, from config: synth does no lookup. */
  readonly zones: string[];
}

/** A stack of one environment, in one of its two regions, tagged with the environment and project. */
export class EnvironmentStack extends Stack {
  readonly config: EnvironmentConfig;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    this.config = props.config;
    this.zones = props.zones;
    // CDK renders Tags on dashboards, which the CloudFormation schema (and cfn-lint) do not accept.
    const untaggable = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(this).add('project', 'authdb-dr', untaggable);
    Tags.of(this).add('environment', props.config.name, untaggable);
  }

  override get availabilityZones(): string[] {
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'Literal zones come from the validated config on purpose: synth must not look them up.',
    });
    return this.zones;
  }
}
