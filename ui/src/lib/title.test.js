import { describe, expect, it } from 'vitest';
import { titleFor } from './title.js';

const node = (state) => ({ state });

describe('document title rule', () => {
  it('is plain "Quorum" before the first snapshot', () => {
    expect(titleFor(null)).toBe('Quorum');
  });
  it('counts online nodes, self included, with singular and plural', () => {
    expect(titleFor({ nodes: [node('online')] })).toBe('Quorum — 1 node online');
    expect(titleFor({ nodes: [node('online'), node('online'), node('unreachable'), node('pending')] })).toBe(
      'Quorum — 2 nodes online',
    );
    expect(titleFor({ nodes: [node('unreachable')] })).toBe('Quorum — 0 nodes online');
  });
});
