import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  buildAwsKmsMrkAwareDiscoveryMultiKeyringNode,
  buildAwsKmsMrkAwareStrictMultiKeyringNode,
  buildClient,
  CommitmentPolicy,
  type KeyringNode,
} from '@aws-crypto/client-node';

// Key commitment required both ways: an archive cannot decrypt to two different plaintexts.
const { encryptStream, decryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

/** Frames of 256 KiB: few enough for throughput, small enough that memory stays flat. */
const FRAME_LENGTH = 256 * 1024;

/**
 * The keyring of the job and the CLI: data keys from the environment's multi-Region KMS key. MRK-aware, so an
 * archive encrypted under the primary region's replica decrypts with the DR region's key of the same id.
 */
export function kmsKeyring(keyArn: string): KeyringNode {
  return buildAwsKmsMrkAwareStrictMultiKeyringNode({ generatorKeyId: keyArn });
}

/**
 * The keyring of a restore (the CLI): it decrypts with the key an archive names, if that key belongs to `account`,
 * through KMS in `region` (MRK-aware: the DR region's key of the same multi-Region key works too).
 */
export function kmsDiscoveryKeyring(region: string, account: string): KeyringNode {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.includes('-gov-') ? 'aws-us-gov' : 'aws';
  return buildAwsKmsMrkAwareDiscoveryMultiKeyringNode({
    regions: [region],
    discoveryFilter: { accountIDs: [account], partition },
  });
}

/** A stream that encrypts with a fresh AES-256-GCM data key wrapped by `keyring` (AWS Encryption SDK message). */
export function encryptingStream(keyring: KeyringNode, context: Record<string, string>) {
  return encryptStream(keyring, { encryptionContext: context, frameLength: FRAME_LENGTH });
}

/**
 * A stream that decrypts an archive and fails when its encryption context is not `context` (an archive of another
 * environment or dump). Signed messages are checked at the end; callers compare the SHA-256 first.
 */
export function decryptingStream(keyring: KeyringNode, context: Record<string, string>) {
  const stream = decryptStream(keyring);
  stream.once('MessageHeader', (header: { encryptionContext: Record<string, string> }) => {
    for (const [name, value] of Object.entries(context)) {
      if (header.encryptionContext[name] !== value) {
        stream.destroy(
          new Error(
            `Archive encryption context ${name} = ${JSON.stringify(header.encryptionContext[name])}; expected ${JSON.stringify(value)}`,
          ),
        );
        return;
      }
    }
  });
  return stream;
}

/** Counts and hashes what passes through, unchanged. */
export class DigestStream extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  private hex: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything seen; only once the stream has ended. */
  sha256(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}
