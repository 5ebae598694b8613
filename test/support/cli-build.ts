import { buildCli } from '../../cli/build.js';

/** Vitest global setup: the CLI tests and the README tests run the built bin/authdb-dr.cjs. */
export default async function setup(): Promise<void> {
  await buildCli();
}
