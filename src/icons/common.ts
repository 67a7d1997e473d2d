// What the icon checks share: the result type, the limits and the error.
import { AppError } from '../errors.js';

export interface IconInfo {
  contentType: 'image/png' | 'image/jpeg' | 'image/svg+xml';
  width: number;
  height: number;
}

export const MAX_ICON_BYTES = 64 * 1024;
export const MAX_ICON_PIXELS = 96; // width and height each at most 96

export const NOT_AN_IMAGE = 'the icon is not a PNG, JPEG or SVG image';

export function invalid(message: string): never {
  throw new AppError('icon-invalid', message);
}
