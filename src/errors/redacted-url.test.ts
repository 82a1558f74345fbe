// What a message shows of a URL: never its password, however the URL writes it.
import { describe, expect, it } from 'vitest';
import { redactedUrl } from './redacted-url.js';

describe('redactedUrl', () => {
  it.each([
    ['postgres://u:secret@host:5432/db', 'postgres://u:***@host:5432/db'],
    ['postgres://u:p@ss@host/db', 'postgres://u:***@host/db'],
    ['redis://:s3cr@t@host:6379', 'redis://:***@host:6379'],
    ['postgres://host/db?user=u&password=secret', 'postgres://host/db?user=u&password=***'],
    ['postgres://u:pa/ss@host/db', 'postgres://***@host/db'],
    ['postgres://host/db', 'postgres://host/db'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactedUrl(url)).toBe(shown);
    expect(redactedUrl(url)).not.toMatch(/secret|s3cr|p@ss|pa\/ss/);
  });
});
