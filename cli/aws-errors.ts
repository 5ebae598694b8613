/**
 * Why an AWS call failed, as far as the operator's next step goes: the CLI could not observe (credentials, network,
 * throttling: the execution may be fine and still running) or AWS answered with an error about the request.
 */
export type FailureKind = 'credentials' | 'network' | 'throttling' | 'request';

const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorized',
  'TokenRefreshRequired',
  'AuthFailure',
]);
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function field(error: unknown, key: string): unknown {
  return error !== null && typeof error === 'object' ? (error as Record<string, unknown>)[key] : undefined;
}

export function failureKind(error: unknown): FailureKind {
  const name = String(field(error, 'name') ?? '');
  const code = String(field(error, 'code') ?? field(error, 'Code') ?? '');
  if (CREDENTIALS.has(name) || CREDENTIALS.has(code) || name.startsWith('Sso') || /credential/i.test(name)) {
    return 'credentials';
  }
  if (THROTTLING.has(name) || THROTTLING.has(code)) return 'throttling';
  if (
    NETWORK_CODES.has(code) ||
    NETWORK_CODES.has(name) ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    name === 'AbortError' ||
    /socket hang up/i.test(String(field(error, 'message') ?? ''))
  ) {
    return 'network';
  }
  const status = (field(error, '$metadata') as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'network';
  return 'request';
}

/** `Name: message` of an error, without a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}
