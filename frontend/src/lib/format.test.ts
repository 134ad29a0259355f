import { describe, expect, it } from 'vitest'
import {
  compassPoint,
  formatHour,
  formatRankChange,
  parseLocalDateTime,
  timeZoneLabel,
  formatBytes,
  formatCompact,
  formatDecimal,
  formatDuration,
  formatInt,
  formatPercent,
  formatRelative,
  fromDateTimeLocal,
  toDateTimeLocal,
} from './format'

describe('numbers', () => {
  it('groups thousands and shows a dash for missing values', () => {
    expect(formatInt(1830442)).toBe('1,830,442')
    expect(formatInt(null)).toBe('—')
    expect(formatInt(Number.NaN)).toBe('—')
  })
  it('keeps one decimal for rates', () => {
    expect(formatDecimal(612.44)).toBe('612.4')
    expect(formatDecimal(3)).toBe('3.0')
  })
  it('compacts only large numbers', () => {
    expect(formatCompact(1523)).toBe('1,523')
    expect(formatCompact(184000000)).toBe('184M')
    expect(formatCompact(191226310247)).toBe('191.2B')
  })
  it('formats ratios as whole percents', () => {
    expect(formatPercent(0.6234)).toBe('62%')
  })
  it('formats bytes with binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(123456)).toBe('120.6 KiB')
  })
})

describe('durations and times', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(8940)).toBe('2h 29m')
    expect(formatDuration(245)).toBe('4m 05s')
    expect(formatDuration(12)).toBe('12s')
    expect(formatDuration(3 * 86400 + 4 * 3600 + 5)).toBe('3d 4h')
    expect(formatDuration(-90)).toBe('-1m 30s')
  })
  it('formats relative times in both directions', () => {
    const now = 1_750_000_000_000
    expect(formatRelative(now - 2_000, now)).toBe('just now')
    expect(formatRelative(now - 42_000, now)).toBe('42s ago')
    expect(formatRelative(now - 5 * 60_000, now)).toBe('5 min ago')
    expect(formatRelative(now + 3 * 3_600_000, now)).toBe('in 3 h')
    expect(formatRelative(undefined, now)).toBe('—')
  })
  it('round-trips datetime-local values to the minute', () => {
    const ms = new Date(2025, 5, 1, 18, 22).getTime()
    expect(toDateTimeLocal(ms)).toBe('2025-06-01T18:22')
    expect(fromDateTimeLocal('2025-06-01T18:22')).toBe(ms)
    expect(fromDateTimeLocal('')).toBeNull()
  })
  it('names compass points from headings', () => {
    expect(compassPoint(0)).toBe('N')
    expect(compassPoint(271.5)).toBe('W')
    expect(compassPoint(359)).toBe('N')
    expect(compassPoint(135)).toBe('SE')
  })
})

describe('24 h times with the zone named', () => {
  it('parses local 24 h date-times with a space or a T and refuses others', () => {
    const ms = parseLocalDateTime('2025-06-01 18:05')
    expect(ms).toBe(new Date(2025, 5, 1, 18, 5).getTime())
    expect(parseLocalDateTime('2025-06-01T18:05')).toBe(ms)
    expect(parseLocalDateTime('2025-06-01 2:00 PM')).toBeNull()
    expect(parseLocalDateTime('2025-02-30 10:00')).toBeNull()
    expect(parseLocalDateTime('2025-06-01 24:00')).toBeNull()
  })
  it('formats hours in 24 h and names a zone', () => {
    expect(formatHour(new Date(2025, 5, 1, 14, 0).getTime())).toBe('2025-06-01 14:00')
    expect(timeZoneLabel().length).toBeGreaterThan(0)
  })
  it('writes rank changes with direction', () => {
    expect(formatRankChange(2)).toBe('▲ 2')
    expect(formatRankChange(-1)).toBe('▼ 1')
    expect(formatRankChange(0)).toBe('–')
    expect(formatRankChange(null)).toBe('new')
  })
})
