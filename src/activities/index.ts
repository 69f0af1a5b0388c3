import { makeClassifyActivities } from './classify';
import { makeDeliveryActivities } from './deliver';
import { makeHeatmapActivities } from './heatmap';
import { acceptsOf, type ActivityDeps } from './deps';
import { makeReportActivities } from './report';
import { makeStoredActivities } from './stored';
import { makeStudyActivities } from './study';
import { makeUploadActivities } from './upload';
import { makeZipActivities } from './zip-activities';

export type { ActivityDeps } from './deps';

/** All activities of the pipeline, bound to one worker's clients. */
export function createActivities(deps: ActivityDeps) {
  acceptsOf(deps); // fail at worker start, not at the first upload
  return {
    ...makeZipActivities(deps),
    ...makeUploadActivities(deps),
    ...makeClassifyActivities(deps),
    ...makeReportActivities(deps),
    ...makeHeatmapActivities(deps),
    ...makeStoredActivities(deps),
    ...makeDeliveryActivities(deps),
    ...makeStudyActivities(deps),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
