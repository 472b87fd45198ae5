import { describe, expect, it } from 'vitest';
import { parseSourceDocument } from '../../src/document/index.js';
import { InputError } from '../../src/input/index.js';

describe('parseSourceDocument errors', () => {
  it('refuses aliases that expand too far (a billion laughs), at the first alias', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    lines.push(`c: [${Array.from({ length: 100 }, () => '*b').join(', ')}]`);
    let message = '';
    try {
      parseSourceDocument(lines.join('\n'), 'laughs.yaml');
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      message = error.message;
    }
    expect(message).toBe(
      'laughs.yaml: 2:8: aliases expand too far (more than 100 per anchor): refused as a resource exhaustion attack',
    );
  });
});
