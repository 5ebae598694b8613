import { randomUUID } from 'node:crypto';

/**
 * The wire formats of the AWS APIs the drill's Lambdas call, as far as the stand-in needs them: awsQuery (RDS, SNS:
 * form-encoded requests, XML answers) and JSON 1.0/1.1 (Step Functions, Secrets Manager).
 */

/** An error as the service returns it: the query/JSON error code, the HTTP status and the message. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** The service named in the SigV4 credential scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`). */
export function serviceOf(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '')?.[1];
}

/** A form-encoded awsQuery request: `Action` plus flattened parameters (`Tags.Tag.1.Key`). */
export class QueryParams {
  private readonly params: URLSearchParams;

  constructor(body: string) {
    this.params = new URLSearchParams(body);
  }

  get action(): string {
    return this.params.get('Action') ?? '';
  }

  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') {
      throw new ServiceError('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.get(name);
    return value === undefined ? undefined : value === 'true';
  }

  /** `Prefix.Member.1`, `Prefix.Member.2`, … */
  list(prefix: string, member: string): string[] {
    const values: string[] = [];
    for (let i = 1; this.params.has(`${prefix}.${member}.${i}`); i++)
      values.push(this.params.get(`${prefix}.${member}.${i}`)!);
    return values;
  }

  /** `Tags.Tag.1.Key` / `Tags.Tag.1.Value`, … */
  tags(prefix = 'Tags', member = 'Tag'): Tag[] {
    const tags: Tag[] = [];
    for (let i = 1; this.params.has(`${prefix}.${member}.${i}.Key`); i++) {
      tags.push({
        Key: this.params.get(`${prefix}.${member}.${i}.Key`)!,
        Value: this.params.get(`${prefix}.${member}.${i}.Value`) ?? '',
      });
    }
    return tags;
  }
}

export interface Tag {
  Key: string;
  Value: string;
}

/** An XML element tree: a list renders each item as `<member>`; undefined is left out. */
export type XmlValue = string | number | boolean | Date | undefined | XmlObject | XmlList;
export interface XmlObject {
  [name: string]: XmlValue;
}
export interface XmlList {
  member: string;
  items: XmlValue[];
}

export function xmlList(member: string, items: XmlValue[]): XmlList {
  return { member, items };
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

function isList(value: XmlValue): value is XmlList {
  return typeof value === 'object' && !(value instanceof Date) && Array.isArray((value as XmlList).items);
}

function render(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (isList(value)) return `<${name}>${value.items.map((item) => render(value.member, item)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => render(k, v))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<ActionResponse xmlns><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>` */
export function queryResponse(namespace: string, action: string, result: XmlObject): string {
  const body = Object.entries(result)
    .map(([k, v]) => render(k, v))
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">` +
    `<${action}Result>${body}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryError(namespace: string, error: ServiceError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}
