import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * The ARNs of a state machine with a fixed name and of its executions, built from the name: the functions it
 * invokes need them, and the state machine needs the functions (a cycle a reference would create).
 */
export function stateMachineArns(scope: Construct, name: string): { stateMachineArn: string; executionsArn: string } {
  const stack = Stack.of(scope);
  return {
    stateMachineArn: stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    executionsArn: stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}
