import { describe, expect, it } from 'vitest'
import { draftFromView, isEmptyPatch, patchFromDraft, sourceNote, templateProblem, testResultText, webhookProblem, type AlertSettingsView } from './alerts'

const view: AlertSettingsView = {
  kinds: [
    {
      kind: 'rare',
      label: 'Rare found',
      description: '',
      enabled: true,
      webhooks: ['https://discord.com/api/webhooks/1/a'],
      webhooks_source: 'dashboard',
      webhooks_fixed_by: null,
      template: null,
      template_source: 'default',
      template_fixed_by: null,
      placeholders: ['character', 'rare_name', 'coords'],
      default_example: '',
      example: '',
      active: true,
    },
    {
      kind: 'death',
      label: 'Death',
      description: '',
      enabled: true,
      webhooks: ['https://discord.com/api/webhooks/2/***'],
      webhooks_source: 'env',
      webhooks_fixed_by: 'OVERLORD_ALERT_DEATH_WEBHOOK',
      template: null,
      template_source: 'default',
      template_fixed_by: null,
      placeholders: ['character'],
      default_example: '',
      example: '',
      active: true,
    },
  ],
  thresholds: [
    { key: 'alert_stuck_minutes', label: '', unit: 'minutes', value: 10, default: 10, min: 1, max: 1440, source: 'default', fixed_by: null },
    { key: 'alert_idle_minutes', label: '', unit: 'minutes', value: 30, default: 10, min: 1, max: 1440, source: 'file', fixed_by: 'overlord.toml' },
  ],
  limits: { max_webhooks_per_kind: 8, max_template_chars: 1000, max_url_bytes: 2048 },
  updated_ms: null,
  updated_by: null,
}

describe('alert settings patch', () => {
  it('is empty when nothing changed', () => {
    expect(isEmptyPatch(patchFromDraft(view, draftFromView(view)))).toBe(true)
  })
  it('carries only changed, editable fields', () => {
    const d = draftFromView(view)
    d.kinds.rare = { enabled: false, webhooks: ['https://discord.com/api/webhooks/1/a', '  ', 'https://x.example/h'], template: '{character}!' }
    d.kinds.death = { enabled: true, webhooks: ['https://other'], template: '' }
    d.thresholds.alert_stuck_minutes = '15'
    d.thresholds.alert_idle_minutes = '99'
    const p = patchFromDraft(view, d)
    expect(p.kinds.rare).toEqual({ enabled: false, webhooks: ['https://discord.com/api/webhooks/1/a', 'https://x.example/h'], template: '{character}!' })
    expect(p.kinds.death).toBeUndefined()
    expect(p.thresholds).toEqual({ alert_stuck_minutes: 15 })
  })
})

describe('client-side checks', () => {
  it('accepts https and loopback http webhooks only', () => {
    expect(webhookProblem('https://discord.com/api/webhooks/1/t')).toBeNull()
    expect(webhookProblem('http://127.0.0.1:9/hook')).toBeNull()
    expect(webhookProblem('http://discord.com/api/webhooks/1/t')).toMatch(/clear text/)
    expect(webhookProblem('ftp://x/y')).toMatch(/https/)
    expect(webhookProblem('nonsense')).toMatch(/not a URL/)
    expect(webhookProblem('')).toBeNull()
  })
  it('checks template placeholders and braces', () => {
    expect(templateProblem('{character} found {rare_name}', ['character', 'rare_name'])).toBeNull()
    expect(templateProblem('{who}', ['character'])).toMatch(/unknown placeholder \{who\}/)
    expect(templateProblem('{character', ['character'])).toMatch(/without its/)
    expect(templateProblem('x}', ['character'])).toMatch(/without its/)
    expect(templateProblem('x'.repeat(1001), [])).toMatch(/longer/)
  })
  it('says where a fixed value comes from', () => {
    expect(sourceNote('env', 'OVERLORD_ALERT_DEATH_WEBHOOK')).toMatch(/environment variable OVERLORD_ALERT_DEATH_WEBHOOK/)
    expect(sourceNote('file', 'overlord.toml')).toMatch(/overlord.toml/)
    expect(sourceNote('dashboard', null)).toBe('Set here.')
  })
  it('reads test outcomes', () => {
    const base = { webhook: '', line: '', attempts: 1, error: null }
    expect(testResultText({ ...base, done: true, delivered: true, status: 204 })).toBe('Delivered (HTTP 204).')
    expect(testResultText({ ...base, done: true, delivered: false, status: 404, error: 'Unknown Webhook' })).toBe('Failed (HTTP 404): Unknown Webhook')
    expect(testResultText({ ...base, done: false, delivered: false, status: 429, error: 'rate limited' })).toMatch(/Still trying.*HTTP 429/)
  })
})
