import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import {
  shardByContentType,
  shardByDateRange,
  shardByField,
  shardByGeography,
} from './shardKeyStrategies.js';

type Row = { id?: unknown; at?: unknown; type?: unknown; country?: unknown };

describe('shardByField', () => {
  it('keys by the value, behind the prefix when there is one', () => {
    expect(shardByField<Row>('id')({ id: 'u-1' })).toBe('u-1');
    expect(shardByField<Row>('id')({ id: 7 })).toBe(7);
    expect(shardByField<Row>('id', {})({ id: 7 })).toBe(7);
    expect(shardByField<Row>('id', { prefix: '' })({ id: 7 })).toBe(7);
    expect(shardByField<Row>('id', { prefix: 'user:' })({ id: 7 })).toBe('user:7');
    expect(shardByField<Row>('id', { prefix: 'user:' })({ id: 'u-1' })).toBe('user:u-1');
  });

  it('refuses an empty field and a record whose value is not a key', () => {
    expectInvalidOption(() => shardByField<Row>('' as never), 'field', 'a non-empty string');
    const byId = shardByField<Row>('id');
    for (const id of [undefined, null, Number.NaN, Number.POSITIVE_INFINITY, {}, true]) {
      expectInvalidOption(() => byId({ id }), 'record.id', 'a string or a finite number');
    }
  });
});

describe('shardByDateRange', () => {
  it('keys by the UTC period of a Date, an ISO string or epoch milliseconds', () => {
    const at = '2026-11-22T23:30:00-02:00'; // 2026-11-23T01:30Z: the UTC day, not the local one
    expect(shardByDateRange<Row>('at', 'year')({ at })).toBe('2026');
    expect(shardByDateRange<Row>('at', 'month')({ at })).toBe('2026-11');
    expect(shardByDateRange<Row>('at', 'day')({ at })).toBe('2026-11-23');
    expect(shardByDateRange<Row>('at', 'hour')({ at })).toBe('2026-11-23T01');
    expect(shardByDateRange<Row>('at', 'hour')({ at: new Date(at) })).toBe('2026-11-23T01');
    expect(shardByDateRange<Row>('at', 'hour')({ at: Date.parse(at) })).toBe('2026-11-23T01');
    expect(shardByDateRange<Row>('at', 'day')({ at: 0 })).toBe('1970-01-01');
  });

  it('refuses an empty field, an unknown unit and a value that is not a valid date', () => {
    expectInvalidOption(() => shardByDateRange<Row>('' as never, 'day'), 'field', 'a non-empty string');
    expectInvalidOption(
      () => shardByDateRange<Row>('at', 'week' as never),
      'unit',
      'one of "hour", "day", "month", "year"',
    );
    const byDay = shardByDateRange<Row>('at', 'day');
    for (const at of [undefined, null, true, {}, 'not a date', Number.NaN, new Date(Number.NaN)]) {
      expectInvalidOption(
        () => byDay({ at }),
        'record.at',
        'a valid Date, ISO date string or epoch milliseconds',
      );
    }
  });
});

describe('shardByContentType', () => {
  const byType = shardByContentType<Row>('type', {
    'Image/SVG+XML': 'vector',
    'image/*': 'media',
    'video/*': 'media',
    text: 'plain',
  });

  it('groups by exact type first, then by top-level type, case and parameters aside', () => {
    expect(byType({ type: 'image/svg+xml' })).toBe('type:vector');
    expect(byType({ type: 'IMAGE/SVG+XML; charset=utf-8' })).toBe('type:vector');
    expect(byType({ type: ' image/svg+xml ;x=1' })).toBe('type:vector');
    expect(byType({ type: 'image/png' })).toBe('type:media');
    expect(byType({ type: 'Video/MP4' })).toBe('type:media');
    expect(byType({ type: 'text' })).toBe('type:plain');
    expect(byType({ type: 'text/*' })).toBe('type:text/*');
  });

  it('puts an unlisted type in the fallback group, or in a group of its own', () => {
    expect(byType({ type: 'Application/JSON; charset=utf-8' })).toBe('type:application/json');
    expect(shardByContentType<Row>('type')({ type: 'a/b' })).toBe('type:a/b');
    expect(shardByContentType<Row>('type', {}, 'other')({ type: 'a/b' })).toBe('type:other');
    expect(shardByContentType<Row>('type', { 'a/*': 'a' }, 'other')({ type: 'a/b' })).toBe('type:a');
  });

  it('refuses an empty field and a value that is not a non-empty string', () => {
    expectInvalidOption(() => shardByContentType<Row>('' as never), 'field', 'a non-empty string');
    for (const type of [undefined, '', 42]) {
      expectInvalidOption(() => byType({ type }), 'record.type', 'a non-empty string');
    }
  });
});

describe('shardByGeography', () => {
  const byRegion = shardByGeography<Row>('country', { eu: ['de', 'FR'], us: ['US'] });

  it('keys by the region of the country code, in any case', () => {
    expect(byRegion({ country: 'DE' })).toBe('region:eu');
    expect(byRegion({ country: 'de' })).toBe('region:eu');
    expect(byRegion({ country: 'fr' })).toBe('region:eu');
    expect(byRegion({ country: 'Us' })).toBe('region:us');
    expect(shardByGeography<Row>('country', { eu: ['DE'] }, 'rest')({ country: 'jp' })).toBe('region:rest');
    expect(shardByGeography<Row>('country', { eu: ['DE'] }, 'rest')({ country: 'de' })).toBe('region:eu');
  });

  it('refuses an empty field, a value that is not a string, and an unlisted country without fallback', () => {
    expectInvalidOption(() => shardByGeography<Row>('' as never, {}), 'field', 'a non-empty string');
    expectInvalidOption(() => byRegion({ country: 49 }), 'record.country', 'a non-empty string');
    expectInvalidOption(
      () => byRegion({ country: 'JP' }),
      'record.country',
      'a country listed in a region (or a fallback region)',
    );
  });
});
