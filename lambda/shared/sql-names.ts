const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ALLOWED_NAMES = 'lower-case letters, digits and underscores, not starting with a digit';

/** Quotes a validated `table`, `column` or `schema.table` name; anything else is refused, never escaped. */
export function quoteName(value: string, what: string, allowSchema = false): string {
  const parts = typeof value === 'string' ? (allowSchema ? value.split('.') : [value]) : [];
  const valid = parts.length >= 1 && parts.length <= 2 && parts.every((part) => IDENTIFIER.test(part));
  if (!valid) {
    const allowed = allowSchema ? `${ALLOWED_NAMES}, optionally schema-qualified as schema.table` : ALLOWED_NAMES;
    throw new Error(`Invalid ${what} ${JSON.stringify(value)}: allowed are ${allowed}`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}
