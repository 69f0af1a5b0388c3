/**
 * TID 1001 Observation Context, with TID 1002 Observer Context naming the algorithm as a DEVICE observer and
 * TID 1004 Device Observer Identifying Attributes. No person observer: nobody has reviewed the result yet
 * (VerificationFlag says UNVERIFIED for the same reason).
 */
import {
  DEVICE_OBSERVER_MANUFACTURER,
  DEVICE_OBSERVER_MODEL_NAME,
  DEVICE_OBSERVER_NAME,
  DEVICE_OBSERVER_UID,
  OBSERVER_TYPE,
  OBSERVER_TYPE_DEVICE,
} from '../codes';
import { isValidUid } from '../uids';
import { codeValue, text, TemplateViolation, uidref, type ContentItem } from './content';

export interface DeviceObserver {
  /** TID 1004 row 1, mandatory. */
  uid: string;
  name: string;
  manufacturer: string;
  modelName: string;
}

export function observerContext(device: DeviceObserver): ContentItem[] {
  if (!isValidUid(device.uid)) {
    throw new TemplateViolation('TID 1004', 'row 1 (Device Observer UID)', `'${device.uid}' is not a valid UID`);
  }
  for (const [row, field, value] of [
    ['row 2 (Device Observer Name)', 'name', device.name],
    ['row 3 (Device Observer Manufacturer)', 'manufacturer', device.manufacturer],
    ['row 4 (Device Observer Model Name)', 'modelName', device.modelName],
  ] as const) {
    if (value.trim() === '') throw new TemplateViolation('TID 1004', row, `the algorithm's ${field} is empty`);
  }
  return [
    codeValue('HAS OBS CONTEXT', OBSERVER_TYPE, OBSERVER_TYPE_DEVICE),
    uidref('HAS OBS CONTEXT', DEVICE_OBSERVER_UID, device.uid),
    text('HAS OBS CONTEXT', DEVICE_OBSERVER_NAME, device.name),
    text('HAS OBS CONTEXT', DEVICE_OBSERVER_MANUFACTURER, device.manufacturer),
    text('HAS OBS CONTEXT', DEVICE_OBSERVER_MODEL_NAME, device.modelName),
  ];
}
