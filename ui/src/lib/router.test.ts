import { describe, expect, it } from 'vitest';
import { format, match, parse } from './router.svelte';

describe('router', () => {
  it('keeps a screen state in the hash and reads it back', () => {
    const hash = format('/leads', { stage: 'mql', q: 'Müller & Co', sort: null, overdue: false, sel: '' });
    expect(hash).toBe('#/leads?q=M%C3%BCller+%26+Co&stage=mql');
    expect(parse(hash)).toEqual({ path: '/leads', query: { q: 'Müller & Co', stage: 'mql' } });
    expect(parse('')).toEqual({ path: '/', query: {} });
  });
  it('matches paths with parameters', () => {
    expect(match('/contacts/:id', '/contacts/a%2Fb')).toEqual({ id: 'a/b' });
    expect(match('/contacts/:id', '/contacts')).toBeNull();
    expect(match('/', '/')).toEqual({});
    expect(match('/leads', '/team')).toBeNull();
  });
});
