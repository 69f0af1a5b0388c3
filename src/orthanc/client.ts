/**
 * The thin typed REST client for Orthanc: the only module that knows Orthanc's URLs.
 * One instance per worker process (keep-alive sockets are reused across activities).
 *
 * Error mapping:
 *  - connection refused / reset / timeout / HTTP 5xx / 401 / 403 -> OrthancUnavailableError (retryable:
 *    an outage or a credentials fix followed by a worker restart heals it, nothing is lost meanwhile)
 *  - HTTP 400/404 on upload -> OrthancRejectedError (Orthanc could not parse the file as DICOM)
 *  - HTTP 404 -> OrthancNotFoundError (non-retryable: the instance was deleted, e.g. by an operator mid-ingest;
 *    retrying for two hours cannot bring it back); null results where the method says so
 *  - any other HTTP 4xx -> OrthancBadRequestError (non-retryable: the same request fails the same way)
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import axios, { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import type { OrthancConfig } from '../config';
import type { SimplifiedTags } from '../dicom/tags';
import { OrthancBadRequestError, OrthancNotFoundError, OrthancRejectedError, OrthancUnavailableError } from '../errors';

export type UploadStatus = 'Success' | 'AlreadyStored';

export interface UploadResult {
  /** Orthanc's instance identifier (a hash of the patient/study/series/SOP UIDs). */
  id: string;
  status: UploadStatus;
  parentPatient: string;
  parentStudy: string;
  parentSeries: string;
}

export type { SimplifiedTags };

export interface OrthancInstanceInfo {
  ID: string;
  ParentSeries: string;
  MainDicomTags: Record<string, string>;
  FileSize: number;
  IndexInSeries?: number;
}

export interface OrthancStatistics {
  CountInstances: number;
  CountSeries: number;
  CountStudies: number;
  CountPatients: number;
  TotalDiskSizeMB: number;
}

export type ResourceLevel = 'Patient' | 'Study' | 'Series' | 'Instance';

/** User metadata (declared in orthanc.json) holding the SHA-256 of the bytes the pipeline uploaded. */
export const SOURCE_SHA_METADATA = 'CxrSourceSha256';

export class OrthancClient {
  private readonly http: AxiosInstance;

  constructor(readonly config: OrthancConfig) {
    const keepAlive = { keepAlive: true, maxSockets: 16 };
    this.http = axios.create({
      baseURL: config.url,
      timeout: config.timeoutMs,
      auth: config.username !== undefined ? { username: config.username, password: config.password ?? '' } : undefined,
      httpAgent: new http.Agent(keepAlive),
      // HTTPS (production profile): trust the deployment's private CA besides the system's roots.
      httpsAgent: new https.Agent(
        config.caFile
          ? {
              ...keepAlive,
              // One secure context for every connection (a `ca` list would be parsed again per connection).
              secureContext: tls.createSecureContext({
                ca: [...tls.rootCertificates, fs.readFileSync(config.caFile, 'utf8')],
              }),
            }
          : keepAlive,
      ),
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      // Orthanc gzips responses for clients that accept it, which costs ~500 ms per 10 MB image.
      decompress: false,
      headers: { 'Accept-Encoding': 'identity' },
      validateStatus: (s) => s >= 200 && s < 300,
    });
  }

  private async request<T>(what: string, cfg: AxiosRequestConfig): Promise<T> {
    try {
      return (await this.send<T>(cfg)).data;
    } catch (err) {
      throw this.errorFor(what, err);
    }
  }

  /**
   * One HTTP exchange. A pooled keep-alive socket that Orthanc closed just before we reused it fails at once with
   * ECONNRESET/EPIPE and no response. Every call here is idempotent (POST /instances answers AlreadyStored), so
   * one immediate retry on a fresh socket is safe; anything else goes to the caller (and on to Temporal).
   */
  private async send<T>(cfg: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    try {
      return await this.http.request<T>(cfg);
    } catch (err) {
      const stale = err instanceof AxiosError && !err.response && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      if (!stale) throw err;
      return this.http.request<T>(cfg);
    }
  }

  /** The typed pipeline error (retryable or not, src/errors.ts) for a failed exchange with Orthanc. */
  private errorFor(what: string, err: unknown): Error {
    if (!(err instanceof AxiosError)) return err instanceof Error ? err : new Error(String(err));
    const status = err.response?.status;
    const where = `${this.config.url}`;
    if (status === undefined) {
      return new OrthancUnavailableError(
        `Orthanc at ${where} did not answer (${err.code ?? err.message}) while trying to ${what}; will retry`,
        { cause: err },
      );
    }
    if (status === 401 || status === 403) {
      return new OrthancUnavailableError(
        `Orthanc at ${where} refused our credentials (HTTP ${status}) while trying to ${what}: check ORTHANC_USERNAME/ORTHANC_PASSWORD and restart the worker; will retry`,
      );
    }
    if (status >= 500 || status === 408 || status === 429) {
      return new OrthancUnavailableError(
        `Orthanc at ${where} failed with HTTP ${status} while trying to ${what}; will retry`,
      );
    }
    const body = err.response?.data;
    const detail =
      body && typeof body === 'object' && 'Details' in body
        ? String((body as { Details: unknown }).Details)
        : body instanceof Buffer
          ? body.toString('utf8', 0, 300)
          : '';
    if (status === 404) {
      return new OrthancNotFoundError(
        `Orthanc has no such resource (HTTP 404) while trying to ${what}: it was deleted from Orthanc after it was ` +
          'stored (by an operator?). Run `cxr retry-failed` to store and process it again.',
      );
    }
    return new OrthancBadRequestError(
      `Orthanc answered HTTP ${status} while trying to ${what}${detail ? `: ${detail}` : ''}`,
    );
  }

  /** Store one DICOM file. Idempotent: the same SOPInstanceUID answers AlreadyStored. */
  async uploadInstance(bytes: Buffer): Promise<UploadResult> {
    try {
      const res = await this.request<{
        ID: string;
        Status: string;
        ParentPatient: string;
        ParentStudy: string;
        ParentSeries: string;
      }>('store an instance', {
        method: 'POST',
        url: '/instances',
        data: bytes,
        headers: { 'Content-Type': 'application/dicom' },
      });
      if (res.Status !== 'Success' && res.Status !== 'AlreadyStored') {
        throw new OrthancRejectedError(`Orthanc did not store the file (status ${res.Status})`);
      }
      return {
        id: res.ID,
        status: res.Status,
        parentPatient: res.ParentPatient,
        parentStudy: res.ParentStudy,
        parentSeries: res.ParentSeries,
      };
    } catch (err) {
      if (err instanceof OrthancBadRequestError || err instanceof OrthancNotFoundError) {
        // 400: DCMTK could not parse the file; 404 'Inexistent tag': a required UID is missing (e.g. DICOMDIR).
        throw new OrthancRejectedError(`Orthanc could not store the file: ${err.message}`);
      }
      throw err;
    }
  }

  async getSystem(): Promise<Record<string, unknown>> {
    return this.request('read /system', { method: 'GET', url: '/system' });
  }

  async getStatistics(): Promise<OrthancStatistics> {
    return this.request('read /statistics', { method: 'GET', url: '/statistics' });
  }

  async getInstance(id: string): Promise<OrthancInstanceInfo> {
    return this.request(`read instance ${id}`, { method: 'GET', url: `/instances/${encodeURIComponent(id)}` });
  }

  /** Main DICOM tags plus everything but pixel data, keyword -> value. */
  async getInstanceTags(id: string): Promise<SimplifiedTags> {
    return this.request(`read the tags of instance ${id}`, {
      method: 'GET',
      url: `/instances/${encodeURIComponent(id)}/simplified-tags`,
    });
  }

  /** Orthanc metadata, e.g. TransferSyntax, SopClassUid, RemoteAET. */
  async getInstanceMetadata(id: string, name: string): Promise<string | null> {
    try {
      const data = await this.request<Buffer>(`read metadata ${name} of instance ${id}`, {
        method: 'GET',
        url: `/instances/${encodeURIComponent(id)}/metadata/${encodeURIComponent(name)}`,
        responseType: 'arraybuffer',
      });
      return Buffer.from(data).toString('utf8');
    } catch (err) {
      if (err instanceof OrthancNotFoundError) return null;
      throw err;
    }
  }

  /** Every metadata value of an instance (`?expand`), or null when Orthanc has no such instance. */
  async getInstanceMetadataAll(id: string): Promise<Record<string, string> | null> {
    try {
      return await this.request<Record<string, string>>(`read the metadata of instance ${id}`, {
        method: 'GET',
        url: `/instances/${encodeURIComponent(id)}/metadata?expand`,
      });
    } catch (err) {
      if (err instanceof OrthancNotFoundError) return null;
      throw err;
    }
  }

  /** Write a user metadata value (declared in orthanc.json "UserMetadata"). */
  async setInstanceMetadata(id: string, name: string, value: string): Promise<void> {
    await this.request(`write metadata ${name} of instance ${id}`, {
      method: 'PUT',
      url: `/instances/${encodeURIComponent(id)}/metadata/${encodeURIComponent(name)}`,
      data: value,
      headers: { 'Content-Type': 'text/plain' },
    });
  }

  /** MD5 of the stored DICOM file (Orthanc's attachment checksum). */
  async getStoredFileMd5(id: string): Promise<string> {
    const data = await this.request<ArrayBuffer>(`read the checksum of instance ${id}`, {
      method: 'GET',
      url: `/instances/${encodeURIComponent(id)}/attachments/dicom/md5`,
      responseType: 'arraybuffer',
    });
    return Buffer.from(data).toString('utf8').trim();
  }

  /** The whole DICOM file as stored. */
  async getInstanceFile(id: string): Promise<Buffer> {
    const data = await this.request<ArrayBuffer>(`download instance ${id}`, {
      method: 'GET',
      url: `/instances/${encodeURIComponent(id)}/file`,
      responseType: 'arraybuffer',
    });
    // axios hands node a Buffer already: Buffer.from() would copy the 10 MB file once more.
    return Buffer.isBuffer(data) ? data : Buffer.from(data);
  }

  // No method here asks Orthanc to decode pixels (/numpy, /rendered, /frames, DICOMweb transcoding): the worker reads
  // the stored file (getInstanceFile) and decodes it itself (src/dicom/decode.ts; docs/security.md).

  /** Orthanc IDs of resources at `level` whose DICOM UID equals `uid` (POST /tools/lookup). */
  async lookup(uid: string, level?: ResourceLevel): Promise<string[]> {
    const res = await this.request<{ ID: string; Type: ResourceLevel }[]>(`look up ${uid}`, {
      method: 'POST',
      url: '/tools/lookup',
      data: uid,
      headers: { 'Content-Type': 'text/plain' },
    });
    return res.filter((r) => level === undefined || r.Type === level).map((r) => r.ID);
  }

  async getSeries(
    id: string,
  ): Promise<{ ID: string; ParentStudy: string; Instances: string[]; MainDicomTags: Record<string, string> }> {
    return this.request(`read series ${id}`, { method: 'GET', url: `/series/${encodeURIComponent(id)}` });
  }

  /** A study's main tags and its patient's (GET /studies/{id}). */
  async getStudy(id: string): Promise<{
    ID: string;
    MainDicomTags: Record<string, string>;
    PatientMainDicomTags: Record<string, string>;
  }> {
    return this.request(`read study ${id}`, { method: 'GET', url: `/studies/${encodeURIComponent(id)}` });
  }

  async getStudyInstances(id: string): Promise<OrthancInstanceInfo[]> {
    return this.request(`list the instances of study ${id}`, {
      method: 'GET',
      url: `/studies/${encodeURIComponent(id)}/instances`,
    });
  }

  /** Find resources by DICOM tags (POST /tools/find). */
  async find(level: ResourceLevel, query: Record<string, string>, opts: { limit?: number } = {}): Promise<string[]> {
    return this.request(`find ${level} resources`, {
      method: 'POST',
      url: '/tools/find',
      data: { Level: level, Query: query, Expand: false, ...(opts.limit ? { Limit: opts.limit } : {}) },
    });
  }

  /**
   * One page of Orthanc's change log (/changes): every stored or deleted resource gets a sequence number. `last` is
   * the sequence number to pass as `since` next; `done` says the log has nothing after this page.
   */
  async getChanges(since: number, limit: number): Promise<ChangesPage> {
    const res = await this.request<{
      Changes: { Seq: number; ChangeType: string; ResourceType: string; ID: string }[];
      Done: boolean;
      Last: number;
    }>(`read the change log since ${since}`, { method: 'GET', url: '/changes', params: { since, limit } });
    return {
      changes: res.Changes.map((c) => ({
        seq: c.Seq,
        changeType: c.ChangeType,
        resourceType: c.ResourceType,
        id: c.ID,
      })),
      last: res.Last,
      done: res.Done,
    };
  }

  /** Sequence number of the latest change (0 for an empty Orthanc). */
  async getLastChangeSeq(): Promise<number> {
    const res = await this.request<{ Last: number }>('read the last change', {
      method: 'GET',
      url: '/changes',
      params: { last: '' },
    });
    return res.Last;
  }

  /** One page of instances matching `query` (Orthanc's order, stable while nothing is deleted). */
  async findInstancesPage(query: Record<string, string>, since: number, limit: number): Promise<string[]> {
    return this.request('find instances', {
      method: 'POST',
      url: '/tools/find',
      data: { Level: 'Instance', Query: query, Expand: false, Since: since, Limit: limit },
    });
  }

  async deleteResource(level: ResourceLevel, id: string): Promise<void> {
    const path = { Patient: 'patients', Study: 'studies', Series: 'series', Instance: 'instances' }[level];
    await this.request(`delete ${level} ${id}`, { method: 'DELETE', url: `/${path}/${encodeURIComponent(id)}` });
  }
}

export interface ChangesPage {
  changes: { seq: number; changeType: string; resourceType: string; id: string }[];
  last: number;
  done: boolean;
}
