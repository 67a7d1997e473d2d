// Import credentials at rest: AES-256-GCM under a key derived from CHARTROOM_SECRET_KEY.
// The repository's identity is the additional data, so a ciphertext copied onto another
// repository's row does not decrypt there.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

export interface UpstreamCredentials {
  username: string;
  password: string;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: string) {
    // HKDF, so any high-entropy string of 32+ characters makes a uniform 256-bit key.
    this.key = Buffer.from(hkdfSync('sha256', secret, 'chartroom', 'import-credentials', 32));
  }

  seal(credentials: UpstreamCredentials, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, context: string): UpstreamCredentials {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('stored credentials are not in a known format');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    try {
      const text = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
      return JSON.parse(text.toString('utf8')) as UpstreamCredentials;
    } catch {
      // Never the bytes or the key in the message: this can reach a log.
      throw new Error(
        'stored credentials cannot be decrypted: CHARTROOM_SECRET_KEY differs from the one they were saved with',
      );
    }
  }
}

/** The box, or a clear refusal when no key is configured. */
export function requireSecretBox(box: SecretBox | null): SecretBox {
  if (!box) {
    throw new AppError(
      'bad-request',
      'this server cannot store repository credentials: set CHARTROOM_SECRET_KEY (32+ random characters, e.g. from "openssl rand -base64 32") and restart it',
    );
  }
  return box;
}
