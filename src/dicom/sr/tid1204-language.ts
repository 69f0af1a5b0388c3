/** TID 1204 Language of Content Item and Descendants (row 1; the optional Country of Language row is omitted). */
import { LANGUAGE_EN_US, LANGUAGE_OF_CONTENT } from '../codes';
import { codeValue, type ContentItem } from './content';

export function languageOfContent(): ContentItem {
  return codeValue('HAS CONCEPT MOD', LANGUAGE_OF_CONTENT, LANGUAGE_EN_US);
}
