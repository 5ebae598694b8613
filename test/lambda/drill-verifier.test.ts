import { beforeEach, describe, expect, it, vi } from 'vitest';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import { now, rdsMock, sfnMock } from '../support/drill-lambdas.js';

beforeEach(() => {
  rdsMock.reset();
  sfnMock.reset();
});

describe('verifier event validation', () => {
  const config = {
    tables: [{ name: 'users', timeColumn: 'created_at', tolerance: 0 }],
    settleSeconds: 300,
    concurrency: 1,
  };
  const planForVerifier = { mode: 'point-in-time', source: { host: 'authdb-dev.example', port: 5432 } };

  it('refuses an event without an action, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(verifier({ plan: planForVerifier }, config, { connectTo, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        "Invalid verifier event: action = missing; allowed: Invalid discriminator value. Expected 'count-source' | 'verify'",
    });
    await expect(
      verifier({ action: 'restore', plan: planForVerifier }, config, { connectTo, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('action = "restore"; allowed: Invalid discriminator value.'),
    });
    expect(connectTo).not.toHaveBeenCalled();
  });

  it('refuses a verify without the scratch endpoint, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { status: 'available' } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Invalid verifier event: scratch.endpoint = missing; allowed: Invalid input: expected object, received undefined',
    });
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { endpoint: { host: '', port: 5432 } } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('scratch.endpoint.host = ""') });
    expect(connectTo).not.toHaveBeenCalled();
  });
});
