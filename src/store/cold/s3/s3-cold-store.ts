import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SightlineError } from '../../../core/errors.js';
import type { ColdObject, ColdStore } from '../../../core/ports/cold-store.js';
import type { ObjectStoreOptions } from '../../store-options.js';
import { objectStoreError, statusOf } from './s3-errors.js';
import { openS3Client, type ResolvedObjectStore } from './s3-client.js';

export interface S3ColdStoreOptions {
  objectStore: ObjectStoreOptions;
  /** A local folder for files before they are uploaded; emptied at open. */
  stagingDir: string;
  /** Files above this size go up in parts of this size (multipart upload); at least 5 MiB, S3's minimum. */
  partBytes?: number;
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

/**
 * The cold store on an S3-compatible object store (AWS S3, MinIO, Ceph, Versity Gateway, …).
 * S3 makes an object visible only once its PUT or its multipart upload completes, so a reader
 * never sees part of a file; an upload that fails is aborted, leaving no parts behind.
 */
export class S3ColdStore implements ColdStore {
  readonly root: string;

  private constructor(
    private readonly client: S3Client,
    private readonly where: ResolvedObjectStore,
    private readonly stagingDir: string,
    private readonly partBytes: number,
  ) {
    this.root = `s3://${where.bucket}/${where.prefix}`;
  }

  static async open(options: S3ColdStoreOptions): Promise<S3ColdStore> {
    const { client, resolved } = await openS3Client(options.objectStore, {
      maxAttempts: options.maxAttempts ?? 6,
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    });
    const store = new S3ColdStore(client, resolved, options.stagingDir, Math.max(5 * 1024 * 1024, options.partBytes ?? 16 * 1024 * 1024));
    try {
      // Fail the start, not the first export, on a wrong bucket, endpoint or key.
      const where = `bucket ${resolved.bucket}${resolved.endpoint ? ` at ${resolved.endpoint}` : ''}`;
      await client.send(new HeadBucketCommand({ Bucket: resolved.bucket })).catch((err: unknown) => {
        // HEAD answers have no body, so a missing bucket is a bare 404.
        if (statusOf(err) === 404) throw new SightlineError('SL_CONFIG_INVALID', `the object store has no ${where} (cold.objectStore.bucket)`);
        throw objectStoreError(err, `opening ${where}`);
      });
      await rm(options.stagingDir, { recursive: true, force: true });
      await mkdir(options.stagingDir, { recursive: true });
    } catch (err) {
      client.destroy();
      throw err;
    }
    return store;
  }

  /** Where this store points, for the hot store's own readers (DuckDB's S3 settings). */
  get settings(): ResolvedObjectStore {
    return this.where;
  }

  stagingPath(name: string): string {
    return join(this.stagingDir, name);
  }

  async put(key: string, stagedPath: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.where.bucket, Key: this.keyOf(key), Body: createReadStream(stagedPath) },
      partSize: this.partBytes,
      queueSize: 2,
      // An upload that fails is aborted: no parts are left to pay for, and nothing is visible.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      throw objectStoreError(err, `uploading ${key}`);
    }
    await rm(stagedPath, { force: true });
  }

  async write(key: string, body: Uint8Array, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const command = new PutObjectCommand({
      Bucket: this.where.bucket,
      Key: this.keyOf(key),
      Body: body,
      ...(options.ifAbsent && { IfNoneMatch: '*' }),
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(command);
        return true;
      } catch (err) {
        const status = statusOf(err);
        if (options.ifAbsent && status === 412) return false;
        // 409: AWS's answer to conditional writes racing on one key; the race is decided on a retry.
        if (options.ifAbsent && status === 409 && attempt < 5) {
          await sleep(50 * attempt);
          continue;
        }
        throw objectStoreError(err, `writing ${key}`);
      }
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    const body = await this.get(key);
    if (!body) return undefined;
    return Buffer.from(await body.transformToByteArray());
  }

  async download(key: string, path: string): Promise<boolean> {
    const body = await this.get(key);
    if (!body) return false;
    try {
      await pipeline(body as Readable, createWriteStream(path));
    } catch (err) {
      throw objectStoreError(err, `downloading ${key}`);
    }
    return true;
  }

  private async get(key: string): Promise<(Readable & { transformToByteArray(): Promise<Uint8Array> }) | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(key) }));
      return answer.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw objectStoreError(err, `reading ${key}`);
    }
  }

  async copy(from: string, to: string, options: { storageClass?: string } = {}): Promise<boolean> {
    try {
      // A server-side copy: the bytes do not pass through this node. One request takes up to 5 GiB.
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.where.bucket,
          Key: this.keyOf(to),
          CopySource: `${this.where.bucket}/${this.keyOf(from).split('/').map(encodeURIComponent).join('/')}`,
          ...(options.storageClass !== undefined && { StorageClass: options.storageClass as StorageClass }),
        }),
      );
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw objectStoreError(err, `copying ${from} to ${to}`);
    }
  }

  async list(prefix: string): Promise<ColdObject[]> {
    const out: ColdObject[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.where.bucket, Prefix: this.keyOf(prefix, true) })) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          out.push({ key: object.Key.slice(this.where.prefix.length), bytes: object.Size ?? 0, modifiedAt: object.LastModified?.getTime() ?? 0 });
        }
      }
    } catch (err) {
      throw objectStoreError(err, `listing ${prefix || '(everything)'}`);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    // DeleteObjects takes up to 1000 keys a request.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let answer;
      try {
        answer = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.where.bucket, Delete: { Objects: batch.map((key) => ({ Key: this.keyOf(key) })), Quiet: true } }),
        );
      } catch (err) {
        throw objectStoreError(err, `removing ${batch.length} objects`);
      }
      const failed = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw objectStoreError({ name: first.Code, message: first.Message, $metadata: { httpStatusCode: first.Code === 'AccessDenied' ? 403 : 500 } }, `removing ${first.Key ?? '?'} (and ${failed.length - 1} more)`);
      }
    }
  }

  location(key: string): string {
    return `s3://${this.where.bucket}/${this.keyOf(key)}`;
  }

  close(): void {
    this.client.destroy();
  }

  private keyOf(key: string, prefixOnly = false): string {
    if (!prefixOnly && (key === '' || key.startsWith('/'))) throw new Error(`not a cold store key: ${JSON.stringify(key)}`);
    return `${this.where.prefix}${key}`;
  }
}
