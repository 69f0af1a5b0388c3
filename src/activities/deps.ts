import type { OrthancClient } from '../orthanc/client';
import type { Classifier } from '../inference';
import type { ZipLimits } from '../zip';

/** What the activities need, built once per worker process and injected (STYLE.md: createActivities(deps)). */
export interface ActivityDeps {
  orthanc: OrthancClient;
  /** Loaded once at worker start; session reused by every classify call. Absent on an I/O-only worker. */
  classifier?: Classifier;
  zipLimits: ZipLimits;
}
