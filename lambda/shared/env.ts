/** Reads a required environment variable once, failing at module load with the variable's name. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing environment variable ${name}`);
  }
  return value;
}

export function requireIntEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const text = requireEnv(name, env);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new Error(`Environment variable ${name} must be a whole number, got "${text}"`);
  }
  return value;
}
