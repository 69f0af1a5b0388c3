/** Public surface of the inference module, for activities, the CLI and tests. */
export { classifyOrthancInstance, findingsFromOutputs, loadClassifier } from './classify-instance';
export type { Classification, Classifier, Finding, ModelIdentity } from './classify-instance';
export { parseManifest, readManifest, scoresFromOutputs, thresholdFor } from './manifest';
export type { Activation, ModelManifest } from './manifest';
export { areaWeights, bilinearWeights, centerSquare, preprocess, resample } from './preprocess';
export { checkSessionAgainstManifest, createSession } from './session';
export type { ModelSession, SessionOptions } from './session';
