import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { BundledFunction } from './cloud-assembly.js';

const HOST = join(__dirname, 'lambda-host.cjs');

const replySchema = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.string(), ok: z.literal(false), errorType: z.string(), errorMessage: z.string() }),
]);

/** An error a function threw, named as Lambda reports it, so the state machine's Retry and Catch match it. */
export class FunctionError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * A bundled Lambda function running in a process of its own (like a warm Lambda container), with the environment
 * from the template plus `extraEnv` (region, credentials, AWS_ENDPOINT_URL). Its output (Powertools JSON logs, EMF
 * metrics) goes to `logFile`.
 */
export class LocalFunction {
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited?: string;

  constructor(
    readonly fn: BundledFunction,
    extraEnv: Record<string, string>,
    logFile: string,
  ) {
    const log = openSync(logFile, 'a');
    try {
      this.child = fork(HOST, [fn.modulePath, fn.exportName, fn.logicalId, String(fn.timeoutSeconds * 1000)], {
        // Only what Lambda gives a function: its own variables and the runtime's, nothing of this process.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', ...fn.environment, ...extraEnv },
        execArgv: [],
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    this.child.on('message', (message) => {
      const reply = replySchema.parse(message);
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new FunctionError(reply.errorType, reply.errorMessage));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `exited (${signal ?? code})`;
      for (const waiter of this.pending.values()) {
        waiter.reject(new FunctionError('Lambda.Unknown', `${fn.logicalId} ${this.exited}; see ${logFile}`));
      }
      this.pending.clear();
    });
  }

  invoke(event: unknown): Promise<unknown> {
    if (this.exited) {
      return Promise.reject(new FunctionError('Lambda.Unknown', `${this.fn.logicalId} ${this.exited}`));
    }
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, event });
    });
  }

  /** Ends the process (SIGKILL after a second if it does not go). */
  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(timer);
  }

  /** For an exit hook: cannot wait. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
