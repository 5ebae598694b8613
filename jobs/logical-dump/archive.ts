import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Manifest, parseManifest } from '../../contract/logical-dump.js';
import { DigestStream } from './crypto.js';

/** Multipart parts of 16 MiB, two in flight: memory stays near 32 MiB whatever the dump's size. */
const PART_SIZE = 16 * 1024 * 1024;
const QUEUE_SIZE = 2;

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams `body` (already encrypted) into `bucket/key` with a multipart upload, hashing the bytes on the way. The
 * bucket's default Object Lock retention applies to the object; the SDK adds the checksum Object Lock requires.
 */
export async function uploadStream(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Readable,
  /** The upload is aborted (no object is created) when this rejects. */
  producer: Promise<void> = Promise.resolve(),
): Promise<StoredObject> {
  const digest = new DigestStream();
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body.pipe(digest), ContentType: 'application/octet-stream' },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  // A failing source must fail the upload too (pipe() does not forward errors).
  body.once('error', (error) => digest.destroy(error));
  producer.catch(() => upload.abort());
  await upload.done();
  return { key, bytes: digest.bytes, sha256: digest.sha256() };
}

export async function putManifest(s3: S3Client, bucket: string, key: string, manifest: Manifest): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** The manifest at `key`; a missing one is an error naming the key. */
export async function getManifest(s3: S3Client, bucket: string, key: string): Promise<Manifest> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      throw new Error(`No dump manifest at s3://${bucket}/${key}`);
    }
    throw error;
  }
  return parseManifest(text, key);
}

/** A readable of the stored object's bytes. */
export async function objectStream(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body as Readable;
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      throw new Error(`No dump archive at s3://${bucket}/${key}`);
    }
    throw error;
  }
}

/** Fails unless the bytes seen match the manifest's size and SHA-256 (a corrupted or truncated object). */
export function checkDigest(seen: { bytes: number; sha256: string }, manifest: Manifest): void {
  const { bytes, sha256 } = manifest.archive;
  if (seen.bytes !== bytes || seen.sha256 !== sha256) {
    throw new Error(
      `Checksum mismatch for ${manifest.archive.key}: read ${seen.bytes} bytes with SHA-256 ${seen.sha256}, ` +
        `the manifest says ${bytes} bytes with SHA-256 ${sha256}`,
    );
  }
}

/** Downloads the encrypted archive to `file` (it stays encrypted) and checks it against the manifest. */
export async function downloadVerified(
  s3: S3Client,
  bucket: string,
  manifest: Manifest,
  file: string,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  const digest = new DigestStream();
  if (onProgress) digest.on('data', () => onProgress(digest.bytes));
  await pipeline(
    await objectStream(s3, bucket, manifest.archive.key),
    digest,
    createWriteStream(file, { mode: 0o600 }),
  );
  checkDigest({ bytes: digest.bytes, sha256: digest.sha256() }, manifest);
}
