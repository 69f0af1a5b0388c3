/** TID 4019 Algorithm Identification: name (row 1), version (row 2), parameters (row 3, 0-n). */
import { ALGORITHM_NAME, ALGORITHM_PARAMETERS, ALGORITHM_VERSION } from '../codes';
import { text, TemplateViolation, type ContentItem } from './content';

export interface AlgorithmIdentification {
  name: string;
  version: string;
  parameters?: string[];
}

export function algorithmIdentification(alg: AlgorithmIdentification): ContentItem[] {
  if (alg.name.trim() === '') {
    throw new TemplateViolation('TID 4019', 'row 1 (Algorithm Name)', 'the algorithm name is empty');
  }
  if (alg.version.trim() === '') {
    throw new TemplateViolation('TID 4019', 'row 2 (Algorithm Version)', 'the algorithm version is empty');
  }
  return [
    text('HAS CONCEPT MOD', ALGORITHM_NAME, alg.name),
    text('HAS CONCEPT MOD', ALGORITHM_VERSION, alg.version),
    ...(alg.parameters ?? []).map((p) => text('HAS CONCEPT MOD', ALGORITHM_PARAMETERS, p)),
  ];
}
