// Asserting that the icon checks refuse an image: an icon-invalid AppError (400) whose
// message names the problem.
import type { Test } from 'tap';
import { inspectIcon } from '../../src/icons/icons.js';
import { AppError } from '../../src/errors.js';

export function expectIconRefused(t: Test, bytes: Buffer, message: RegExp, name: string) {
  let err: unknown;
  try {
    inspectIcon(bytes);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof AppError, `${name}: rejected with an AppError`);
  if (!(err instanceof AppError)) return;
  t.equal(err.code, 'icon-invalid', `${name}: code`);
  t.equal(err.status, 400, `${name}: status`);
  t.match(err.detail, message, `${name}: message`);
}
