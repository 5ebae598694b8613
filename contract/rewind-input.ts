import { z } from 'zod';

/*
 * The rewind workflow's input, shared by the workflow's functions (lambda/shared/rewind.ts re-exports it) and the
 * CLI, which validates with the same schema before it starts anything.
 */

/** ISO-8601 with an explicit zone: a zone-less incident time would be guessed, and a guess is data loss. */
const zonedTime = z.iso.datetime({
  offset: true,
  message: 'allowed: an ISO-8601 time with a zone, e.g. 2026-11-26T02:55:00+09:00 or 2026-11-25T17:55:00.250Z',
});

/**
 * `incidentTime` is T, when the bad write started: nothing committed at or after T may survive the rewind. `dryRun`
 * only reports what would happen. `cutover` hands the verified replica over to the restore's guarded cutover (it
 * must name the production instance; where a second person approves cutovers it carries the starter's identity
 * proof, contract/identity-proof.ts).
 */
export const rewindInputSchema = z
  .object({
    incidentTime: zonedTime,
    dryRun: z.boolean().default(false),
    cutover: z
      .object({
        confirmSourceInstanceId: z.string(),
        // Who starts it (added by `authdb-dr rewind start`): where a second person approves every cutover.
        identityProof: z.string().max(8192, { message: 'allowed: at most 8192 characters' }).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RewindInput = z.infer<typeof rewindInputSchema>;

/** The delayed replica's identifier: a rewind promotes it, and the next generation replaces it. */
export function replicaIdentifier(environment: string, generation: number): string {
  return generation === 1 ? `authdb-${environment}-delayed` : `authdb-${environment}-delayed-g${generation}`;
}
