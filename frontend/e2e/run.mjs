#!/usr/bin/env node
// End-to-end checks of the dashboard in real Chromium against a real server.
//
// Starts `$OVERLORD_BIN serve --demo --listen 127.0.0.1:0 --data-dir <fresh temp dir>` with
// OVERLORD_PLUGIN_SECRET=e2e-secret, waits for its "overlord listening on http://…" line,
// drives /usr/bin/chromium through playwright-core (no browser download), and saves a
// screenshot of every page under e2e/artifacts/. Ends with the line "N passed, N failed"
// and exits non-zero on any failure.
//
// Environment: OVERLORD_BIN (default ../target/release/overlord), CHROMIUM (default /usr/bin/chromium), E2E_ONLY (test names to run, separated by |),
// E2E_CHARACTER (the test plugin's character name), E2E_HEADFUL=1.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import WebSocket from 'ws'
import { dashboardPages } from '../scripts/pages.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const ARTIFACTS = join(here, 'artifacts')
const BIN = resolve(process.env.OVERLORD_BIN ?? join(here, '../../target/release/overlord'))
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const SECRET = 'e2e-secret'
/** A member account the suite creates on the Users page and then signs in with. */
const MEMBER = { username: 'e2e-member', password: 'e2e-password-1' }
/** The first admin the suite creates through the first-run setup page. */
const ADMIN = { username: 'e2e-admin', password: 'e2e-admin-password' }
// protocol.md §1 allows only letters, spaces, ' and - in character names (the server refuses
// digits), so the suite's own plugin character spells "E2E" out. E2E_CHARACTER overrides it.
const TESTER = process.env.E2E_CHARACTER ?? 'E Two E Tester'
/** How long the server may take to print its listening line. */
const STARTUP_TIMEOUT_MS = 60_000
/** Default wait for something to appear on a page. */
const UI_TIMEOUT_MS = 20_000
/** Waits that depend on the simulator producing data (inventory dumps, persisted series). */
const DATA_TIMEOUT_MS = 90_000
const ONLY = new Set((process.env.E2E_ONLY ?? '').split('|').filter(Boolean))

mkdirSync(ARTIFACTS, { recursive: true })
const serverLog = join(ARTIFACTS, 'server.log')
const browserLog = join(ARTIFACTS, 'browser.log')
writeFileSync(serverLog, '')
writeFileSync(browserLog, '')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function eventually(what, fn, timeoutMs = UI_TIMEOUT_MS, everyMs = 500) {
  const end = Date.now() + timeoutMs
  let last
  while (Date.now() < end) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    await sleep(everyMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message ?? last})` : ''}`)
}

// ------------------------------------------------------------------ server
function startServer() {
  if (!existsSync(BIN)) {
    throw new Error(`server binary not found at ${BIN}; build it (cargo build --release) or set OVERLORD_BIN`)
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'overlord-e2e-data-'))
  const proc = spawn(BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    // The public view is on so the anonymous-visitor test can see its pages.
    env: { ...process.env, OVERLORD_PLUGIN_SECRET: SECRET, OVERLORD_PUBLIC_VIEW: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Everything the server printed, for the first-run setup token.
  const output = { text: '' }
  const url = new Promise((resolveUrl, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`server printed no "overlord listening on" line within ${STARTUP_TIMEOUT_MS} ms; see ${serverLog}`)), STARTUP_TIMEOUT_MS)
    proc.stdout.on('data', (d) => {
      appendFileSync(serverLog, d)
      buf += d.toString('utf8')
      output.text += d.toString('utf8')
      const m = /overlord listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    })
    proc.stderr.on('data', (d) => {
      appendFileSync(serverLog, d)
      output.text += d.toString('utf8')
    })
    proc.on('exit', (code, sig) => {
      clearTimeout(timer)
      reject(new Error(`server exited early (code ${code}, signal ${sig}); see ${serverLog}`))
    })
  })
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM')
      const done = new Promise((r) => proc.once('exit', r))
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await done
      clearTimeout(t)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { url, stop, proc, output }
}

// ------------------------------------------------------------------ plugin socket
function openPlugin(base) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/position`, { headers: { 'X-Plugin-Secret': SECRET } })
  const inbox = []
  ws.on('message', (d) => {
    try {
      inbox.push(JSON.parse(String(d)))
    } catch {
      // not JSON: ignore
    }
  })
  const opened = new Promise((res, rej) => {
    ws.once('open', res)
    ws.once('error', rej)
    ws.once('unexpected-response', (_req, resp) => rej(new Error(`plugin socket refused with HTTP ${resp.statusCode}`)))
  })
  let tick = 0
  let dungeon = false
  const telemetry = () => ({
    type: 'telemetry',
    character_name: TESTER,
    timestamp: new Date().toISOString(),
    plugin_version: 'e2e',
    // Outdoors at Holtburg, or inside Halls of Metos (landblock 0x02F3, protocol.md §2.1).
    landcell: dungeon ? '0x02F30105' : '0xA9B40019',
    local_x: dungeon ? 30 : 81.33 + tick,
    local_y: dungeon ? -40 : 11.8,
    z: dungeon ? 0 : 94.0,
    ew: dungeon ? -99.9 : 33.589 + tick * 0.004,
    ns: dungeon ? 92.8 : 42.099,
    heading: 90,
    is_dungeon: dungeon,
    kills: 10 + tick,
    kills_per_hour: '612.4',
    deaths: '0',
    total_deaths: '1',
    rares_found: 0,
    prismatic_taper_count: '1874',
    session_seconds: 60 + tick * 3,
    xp_per_hour: 1000000,
    level: 126,
    total_xp: 1000000000,
    luminance: null,
    vt_state: 'Idle',
  })
  const sendTelemetry = () => {
    tick += 1
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(telemetry()))
  }
  const enterDungeon = () => {
    dungeon = true
  }
  return { ws, inbox, opened, sendTelemetry, enterDungeon, close: () => ws.close() }
}

// ------------------------------------------------------------------ tests
const results = []
let page
let base
const pageErrors = []

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })
}

async function test(name, fn) {
  if (ONLY.size > 0 && !ONLY.has(name)) return
  const started = Date.now()
  const errorsBefore = pageErrors.length
  try {
    await fn()
    const newErrors = pageErrors.slice(errorsBefore)
    if (newErrors.length > 0) throw new Error(`uncaught page errors: ${newErrors.join(' | ')}`)
    results.push({ name, ok: true })
    console.log(`ok   ${name} (${Date.now() - started} ms)`)
  } catch (e) {
    results.push({ name, ok: false, error: e })
    console.log(`FAIL ${name} (${Date.now() - started} ms)\n     ${String(e?.stack ?? e).split('\n').slice(0, 4).join('\n     ')}`)
    await page.screenshot({ path: join(ARTIFACTS, `FAILED-${name}.png`) }).catch(() => undefined)
  }
}

async function goto(path) {
  await page.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' })
}

async function heading(text) {
  await page.getByRole('heading', { level: 1, name: text }).first().waitFor({ timeout: UI_TIMEOUT_MS })
}

/** Every input, select and textarea on the page has an accessible name (a label, aria-label or aria-labelledby). */
async function unlabelledInputs() {
  return page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
    els
      .filter((e) => !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      .map((e) => e.outerHTML.slice(0, 120)),
  )
}

function boxesOverlap(a, b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/** Pairs of map labels (SVG) or axis labels (canvas) that overlap; [] when none do. */
async function labelCollisions() {
  const labels = await page.$$eval('[data-testid=map-label]', (els) => els.map((e) => [e.textContent, ...(e.getAttribute('data-box') ?? '').split(',').map(Number)]))
  const axis = JSON.parse((await page.getAttribute('.dmap-canvas', 'data-axis-labels')) ?? '[]').map((b) => ['axis', ...b])
  // Town dots in the canvas's coordinates: an axis label must not cover one either.
  const towns = await page.$$eval('[data-testid=town]', (els) => {
    const c = document.querySelector('.dmap-canvas')?.getBoundingClientRect()
    return els.map((e) => {
      const r = e.getBoundingClientRect()
      return [e.querySelector('title')?.textContent?.split(' — ')[0] ?? 'town', r.x - (c?.x ?? 0), r.y - (c?.y ?? 0), r.width, r.height]
    })
  })
  const out = []
  for (const group of [labels, axis]) {
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++) if (boxesOverlap(group[i].slice(1), group[j].slice(1))) out.push(`${group[i][0]} × ${group[j][0]}`)
  }
  for (const a of axis) for (const t of towns) if (boxesOverlap(a.slice(1), t.slice(1))) out.push(`axis label × ${t[0]}`)
  return out
}

async function markerPositions() {
  return page.$$eval('[data-testid=char-marker]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-name'), `${e.getAttribute('data-ew')},${e.getAttribute('data-ns')}`])),
  )
}

/**
 * On a character page: the Session card and the Combat tab show the same session figures,
 * and the Lifetime card and the character sheet the same lifetime deaths (lib/figures.ts).
 * Live figures tick, so the two are read together until one read agrees.
 */
async function checkOneDefinitionPerFigure() {
  const names = ['kills', 'session-time', 'kills-per-hour', 'xp-per-hour', 'deaths']
  await page.click('#tab-combat')
  await page.waitForSelector('[data-testid=combat-session]', { timeout: UI_TIMEOUT_MS })
  let last = ''
  await eventually('the Session card and the Combat tab to agree', async () => {
    const read = await page.evaluate((ns) => {
      const of = (root) => Object.fromEntries(ns.map((n) => [n, document.querySelector(`${root} [data-figure=${n}]`)?.textContent ?? 'missing']))
      return { card: of('[data-testid=session-card]'), tab: of('[data-testid=combat-session]') }
    }, names)
    last = JSON.stringify(read)
    return names.every((n) => read.card[n] !== 'missing' && read.card[n] === read.tab[n])
  }, 10_000, 200).catch((e) => {
    throw new Error(`${e.message}: ${last}`)
  })
  await page.click('#tab-sheet')
  const sheet = await page.$('[data-testid=sheet-deaths]')
  const life = await page.$('[data-testid=lifetime-deaths]')
  if (sheet && life) {
    const [a, b] = [await sheet.textContent(), await life.textContent()]
    if (a !== b) throw new Error(`lifetime deaths: sheet says ${a}, Lifetime card says ${b}`)
  }
}

let firstCharacter = null
let itemOwner = null

async function run() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium (or set CHROMIUM)`)
  }
  const server = startServer()
  let context
  let userDataDir
  let plugin
  try {
    base = await server.url
    console.log(`server: ${base} (${BIN})`)
    userDataDir = mkdtempSync(join(tmpdir(), 'overlord-e2e-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: process.env.E2E_HEADFUL !== '1',
      viewport: { width: 1280, height: 720 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (e) => {
      pageErrors.push(String(e?.message ?? e))
      appendFileSync(browserLog, `pageerror: ${e?.stack ?? e}\n`)
    })
    page.on('console', (m) => appendFileSync(browserLog, `${m.type()}: ${m.text()}\n`))

    await test('dashboard loads with version and live connection', async () => {
      await goto('/')
      await eventually('the build version in the sidebar', async () => {
        const t = await page.textContent('[data-testid=build-version]')
        return t && !t.includes('unknown')
      })
      await page.waitForSelector('.sidebar [data-testid=live-status][data-state=open]', { timeout: UI_TIMEOUT_MS })
    })

    await test('first-run setup creates the first admin with the printed token', async () => {
      // The server prints "…/setup?token=…" on first start (no user yet). This runs before
      // any other account is created: setup is only possible while no user exists.
      const m = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(server.output.text)
      if (!m) throw new Error('the server printed no /setup?token=… link on first start')
      await goto(`/setup?token=${m[1]}`)
      await page.getByRole('heading', { name: 'First-run setup' }).waitFor({ timeout: UI_TIMEOUT_MS })
      await page.getByLabel('Admin username').fill(ADMIN.username)
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password)
      await page.getByLabel('Confirm password').fill(ADMIN.password)
      await page.getByRole('button', { name: 'Create admin' }).click()
      await eventually('the dashboard after setup', async () => !page.url().includes('/setup'))
      await goto('/setup')
      await page.waitForSelector('[data-testid=setup-done]', { timeout: UI_TIMEOUT_MS })
      await shot('setup-done')
    })

    await test('overview is the landing page: online, attention, recent, rates, no stale setup banner', async () => {
      await goto('/')
      await heading('Overview')
      await eventually('online characters counted', async () => Number((await page.textContent('[data-testid=ov-online] .stat-value')) ?? '0') > 0, DATA_TIMEOUT_MS, 1000)
      await eventually('group kills/h', async () => /\d/.test((await page.textContent('[data-testid=ov-kph] .stat-value')) ?? ''))
      if ((await page.$$('.banner')).length > 0) throw new Error('the first-run banner is still shown after setup')
      // Stuck/disconnected come from GET /api/attention; without it the page says so honestly.
      const attention = await page.evaluate(async () => (await fetch('/api/attention')).status)
      if (attention === 404) {
        await page.waitForSelector('[data-testid=ov-stuck] [data-state=unavailable]', { timeout: UI_TIMEOUT_MS })
        await page.waitForSelector('[data-testid=ov-disconnected] [data-state=unavailable]', { timeout: UI_TIMEOUT_MS })
      } else {
        await eventually('the stuck section to load', async () => (await page.$$('[data-testid=ov-stuck] .state-loading')).length === 0)
        if ((await page.$$('[data-testid=ov-stuck] [data-state=unavailable]')).length > 0) throw new Error('attention exists but the page says not available')
      }
      await page.waitForSelector('[data-testid=ov-online-list] tbody tr', { timeout: UI_TIMEOUT_MS })
      await page.waitForSelector('[data-testid=ov-recent] h3', { timeout: UI_TIMEOUT_MS })
      await page.waitForSelector('[data-testid=ov-alerts] .stat-value', { timeout: UI_TIMEOUT_MS })
      await shot('overview')
    })

    await test('map shows the simulated characters and they move', async () => {
      await goto('/map')
      await heading('Map')
      await page.waitForSelector('[data-testid=char-marker]', { timeout: DATA_TIMEOUT_MS })
      const before = await markerPositions()
      firstCharacter = Object.keys(before)[0] ?? null
      // Landmarks and labels: towns and regions are drawn, and no two labels overlap.
      await eventually('town labels', async () => (await page.$$('[data-testid=map-label]')).length >= 5)
      await page.waitForSelector('[data-testid=map-legend]', { timeout: UI_TIMEOUT_MS })
      const collisions = await labelCollisions()
      if (collisions.length > 0) throw new Error(`overlapping map labels: ${collisions.slice(0, 5).join('; ')}`)
      // Hover card with vitals and activity.
      await page.hover('[data-testid=char-marker] .marker-hit')
      await page.waitForSelector('[data-testid=marker-card]', { timeout: UI_TIMEOUT_MS })
      await shot('map')
      await eventually(
        'a character marker to move',
        async () => {
          const now = await markerPositions()
          return Object.entries(now).some(([n, p]) => before[n] !== undefined && before[n] !== p)
        },
        45_000,
        1000,
      )
      // Zoom with the keyboard and the buttons, then check the view scale changed.
      const scale0 = await page.getAttribute('.dmap-view', 'data-scale')
      await page.click('button[aria-label="Zoom in"]')
      await page.focus('.dmap-view')
      await page.keyboard.press('+')
      const scale1 = await page.getAttribute('.dmap-view', 'data-scale')
      if (!(Number(scale1) > Number(scale0))) throw new Error(`zoom did not change the scale (${scale0} → ${scale1})`)
      for (let i = 0; i < 4; i++) {
        await page.click('button[aria-label="Zoom in"]')
        const c = await labelCollisions()
        if (c.length > 0) throw new Error(`overlapping labels after zooming in: ${c.slice(0, 5).join('; ')}`)
      }
    })

    await test('admin sets a map image by upload, drags its reference points, and removes it', async () => {
      await goto('/map')
      await heading('Map')
      await page.waitForSelector('[data-testid=map-image-panel]', { timeout: UI_TIMEOUT_MS })
      if ((await page.inputValue('[data-testid=bounds-west]')) !== '-102') throw new Error('bounds are not pre-filled for the full-Dereth map')
      // A 1×1 PNG.
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
      await page.setInputFiles('[data-testid=map-image-file]', { name: 'dereth.png', mimeType: 'image/png', buffer: png })
      await page.click('[data-testid=map-image-upload]')
      await page.waitForSelector('[data-testid=map-image-status]:text("Image uploaded")', { timeout: UI_TIMEOUT_MS })
      const src = await eventually('the map image on the map', async () => page.getAttribute('img.dmap-image', 'src'))
      const served = await page.evaluate(async (u) => {
        const r = await fetch(u)
        return { status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control') }
      }, src)
      if (served.status !== 200 || served.type !== 'image/png' || !/immutable/.test(served.cache ?? '')) throw new Error(`uploaded image served as ${JSON.stringify(served)}`)
      const refused = await page.evaluate(async () => (await fetch('/api/admin/map-image', { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: '<svg/>' })).status)
      if (refused !== 422) throw new Error(`a non-image upload answered ${refused}, not 422`)
      await page.click('[data-testid=map-image-adjust]')
      const handle = await page.waitForSelector('[data-testid=bounds-handle-nw]', { timeout: UI_TIMEOUT_MS })
      // The panel sits below the map: bring the map's top corner back into view.
      await handle.scrollIntoViewIfNeeded()
      const hb = await handle.boundingBox()
      await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2)
      await page.mouse.down()
      await page.mouse.move(hb.x + hb.width / 2 + 30, hb.y + hb.height / 2 + 20, { steps: 5 })
      await page.mouse.up()
      const west = Number(await page.inputValue('[data-testid=bounds-west]'))
      if (!(west > -102)) throw new Error(`dragging the north-west point did not move the west bound (${west})`)
      await page.click('[data-testid=map-image-save-bounds]')
      await page.waitForSelector('[data-testid=map-image-status]:text("Bounds saved")', { timeout: UI_TIMEOUT_MS })
      await shot('map-image-adjust')
      await page.getByRole('button', { name: 'Remove image' }).click()
      await page.waitForSelector('[data-testid=map-image-status]:text("Image removed")', { timeout: UI_TIMEOUT_MS })
      await eventually('the image to go', async () => (await page.$$('img.dmap-image')).length === 0)
    })

    await test('map replay opens on the newest hour with data and shows which hours have data', async () => {
      await goto('/map')
      await heading('Map')
      await page.getByRole('radio', { name: 'Replay' }).click()
      await eventually('an hour with data in the strip', async () => (await page.$$('[data-testid=hour-strip] [data-has-data=true]')).length > 0, DATA_TIMEOUT_MS, 1000)
      // It loads the newest hour with data on its own (no click on "Load").
      await page.waitForSelector('[data-testid=replay-play]', { timeout: DATA_TIMEOUT_MS })
      const value = await page.inputValue('[data-testid=replay-start]')
      if (!/^\d{4}-\d{2}-\d{2} \d{2}:00$/.test(value)) throw new Error(`replay start is not a 24 h hour: ${value}`)
      const controls = (await page.textContent('.replay-controls')) ?? ''
      if (/\b(AM|PM)\b/.test(controls)) throw new Error('12 h time shown in the replay controls')
      if (!/24 h, /.test(controls)) throw new Error('the replay controls do not name the time zone')
      const count = (await page.textContent('[data-testid=replay-count]')) ?? ''
      if (/^0 characters/.test(count)) throw new Error('replay opened on an hour without characters')
      // It opens where the hour's data begins: characters are on the map before Play.
      await page.waitForSelector('[data-testid=char-marker]', { timeout: UI_TIMEOUT_MS }).catch(() => {
        throw new Error('replay opened on an empty map (before the hour’s first position)')
      })
      // A window that started 30 minutes ago holds everything the demo stored since start.
      const start = await page.evaluate(() => {
        const d = new Date(Date.now() - 30 * 60_000)
        const p = (n) => String(n).padStart(2, '0')
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
      })
      await page.fill('[data-testid=replay-start]', start)
      await page.click('[data-testid=replay-load]')
      await page.waitForSelector('[data-testid=replay-play]', { timeout: DATA_TIMEOUT_MS })
      await page.selectOption('[data-testid=replay-speed]', '900')
      await page.click('[data-testid=replay-play]')
      await page.waitForSelector('[data-testid=char-marker]', { timeout: 15_000 })
      await shot('map-replay')
    })

    await test('characters table lists the live characters', async () => {
      await goto('/characters')
      await heading('Characters')
      await eventually('character rows', async () => (await page.$$('[data-testid=characters-table] tbody tr')).length > 0)
      await shot('characters')
    })

    await test('character page shows charts with data', async () => {
      if (!firstCharacter) throw new Error('no character seen on the map')
      await goto(`/characters/${encodeURIComponent(firstCharacter)}`)
      await heading(firstCharacter)
      // The default range fits the data (not a fixed 6 h), the axes name units, integers stay integers.
      await page.getByRole('radio', { name: 'fit' }).waitFor({ timeout: UI_TIMEOUT_MS })
      if ((await page.getAttribute('[role=radio]:text-is("fit")', 'aria-checked')) !== 'true') throw new Error('the chart range does not default to fit')
      // The charts load after the page (and reload once the fitted range's start is known).
      let captions = []
      await eventually('chart captions naming their units', async () => {
        captions = await page.$$eval('figure.chart figcaption', (els) => els.map((e) => e.textContent ?? ''))
        return captions.some((c) => c.includes('(kills/h)')) && captions.some((c) => c.includes('(deaths)'))
      }).catch(() => {
        throw new Error(`chart units missing: ${captions.join(' | ')}`)
      })
      await eventually('a fitted chart with data', async () => (await page.$$eval('figure.chart', (els) => els.filter((e) => Number(e.getAttribute('data-points')) > 0 && e.querySelector('canvas')).length)) > 0, DATA_TIMEOUT_MS, 1000)
      // Hover crosshair with a value readout.
      const plotBox = await (await page.$("figure.chart:has(.u-over) .u-over")).boundingBox()
      await page.mouse.move(plotBox.x + plotBox.width * 0.9, plotBox.y + plotBox.height / 2)
      await eventually('the hover readout', async () => /·/.test((await page.textContent("figure.chart:has(.u-over) [data-testid=chart-readout]")) ?? ''))
      // One definition of lifetime deaths: no second, contradicting "Deaths (life)".
      if ((await page.$$('dt:text-is("Deaths (life)")')).length > 0) throw new Error('"Deaths (life)" is still shown beside the Lifetime card')
      await checkOneDefinitionPerFigure()
      await page.getByRole('radio', { name: '1h' }).click()
      let reloads = 0
      await eventually(
        'a chart with data points drawn by uPlot',
        async () => {
          const n = await page.$$eval('figure.chart', (els) => els.filter((e) => Number(e.getAttribute('data-points')) > 0 && e.querySelector('canvas')).length)
          if (n > 0) return true
          reloads += 1
          if (reloads % 15 === 0) {
            await page.reload({ waitUntil: 'domcontentloaded' })
            await page.getByRole('radio', { name: '1h' }).click()
          }
          return false
        },
        DATA_TIMEOUT_MS,
        1000,
      )
      await shot('character')
    })

    await test('item search returns results and facets', async () => {
      await goto('/items')
      await heading('Items')
      let tries = 0
      await eventually(
        'item results',
        async () => {
          if ((await page.$$('[data-testid=item-results] tbody tr')).length > 0) return true
          tries += 1
          if (tries % 10 === 0) await page.reload({ waitUntil: 'domcontentloaded' })
          return false
        },
        DATA_TIMEOUT_MS,
        1000,
      )
      await eventually('facet values', async () => (await page.$$('[data-testid=facets] fieldset.facet input[type=checkbox]')).length > 0)
      const firstName = (await page.textContent('[data-testid=item-results] tbody tr th button')) ?? ''
      itemOwner = (await page.textContent('[data-testid=item-results] tbody tr td')) ?? null
      const word = firstName.split(/\s+/).find((w) => w.length >= 3) ?? firstName
      await page.fill('[data-testid=item-search]', word)
      await eventually(`results for "${word}"`, async () => {
        const status = (await page.textContent('#search-status')) ?? ''
        const rows = await page.$$eval('[data-testid=item-results] tbody tr th button', (els) => els.map((e) => e.textContent ?? ''))
        return /\d+ results/.test(status) && rows.length > 0 && rows.some((r) => r.toLowerCase().includes(word.toLowerCase()))
      })
      // The search box spans the results column.
      const boxW = (await (await page.$('[data-testid=item-search]')).boundingBox()).width
      const resultsW = (await (await page.$('.results')).boundingBox()).width
      if (boxW < resultsW * 0.6) throw new Error(`the search box is ${boxW}px wide beside ${resultsW}px of results`)
      const slotsText = await page.$$eval('[data-testid=item-results] tbody td.small', (els) => els.map((e) => e.textContent ?? '').join(' '))
      // ("Armor" alone is not checked: spell names such as "Legendary Armor" share these cells.)
      if (/Wear(Left|Right)|main_pack/.test(slotsText)) throw new Error(`internal names shown: ${slotsText.slice(0, 200)}`)
      // Multi-select: ticking one owner keeps the other owners listed, and a second one adds to the results.
      await page.fill('[data-testid=item-search]', '')
      const owners = () => page.$$eval('[data-testid=facet-owner] label.check', (els) => els.map((e) => e.querySelector('.facet-value')?.textContent ?? ''))
      const allOwners = await eventually('owner facet values', async () => {
        const o = await owners()
        return o.length > 0 ? o : null
      })
      await page.click('[data-testid=facet-owner] label.check >> nth=0 >> input')
      if (allOwners.length > 1) {
        await eventually('other owners still listed after ticking one', async () => (await owners()).length >= Math.min(allOwners.length, 12))
        await page.click('[data-testid=facet-owner] label.check >> nth=1 >> input')
        await eventually('results from both ticked owners', async () => {
          const shown = new Set(await page.$$eval('[data-testid=item-results] tbody tr td:nth-child(2)', (els) => els.map((e) => e.textContent)))
          return shown.size >= 2
        })
      }
      await eventually('results after choosing a facet', async () => (await page.$$('[data-testid=item-results] tbody tr')).length > 0)
      await page.click('[data-testid=item-results] tbody tr th button')
      await page.waitForSelector('[data-testid=item-detail]', { timeout: UI_TIMEOUT_MS })
      await shot('items')
    })

    await test('suit builder streams progress and ends with a suit', async () => {
      await goto('/suits')
      await heading('Suit builder')
      await eventually('characters in the picker', async () => (await page.$$('[data-testid=suit-character] option[value]:not([value=""])')).length > 0)
      if (itemOwner) {
        const options = await page.$$eval('[data-testid=suit-character] option', (els) => els.map((e) => e.getAttribute('value')))
        if (options.includes(itemOwner)) await page.selectOption('[data-testid=suit-character]', itemOwner)
      }
      await page.fill('[data-testid=suit-time-limit]', '10')
      await page.click('[data-testid=suit-build]')
      await page.waitForSelector('[data-testid=suit-progress]', { timeout: UI_TIMEOUT_MS })
      await page.waitForSelector('[data-testid=suit-result], [data-testid=suit-error]', { timeout: 60_000 })
      const err = await page.$('[data-testid=suit-error]')
      if (err) throw new Error(`suit builder failed: ${await err.textContent()}`)
      const events = Number(await page.getAttribute('[data-testid=suit-progress]', 'data-events'))
      if (!(events > 0)) throw new Error('no progress or best-so-far event was streamed before the result')
      const items = Number(await page.getAttribute('[data-testid=suit] >> nth=0', 'data-items'))
      if (!(items > 0)) throw new Error('the suit has no items')
      // The score part says it counts wanted spells only, so "0" beside a spell list is explained.
      await page.waitForSelector('[data-testid=suit] dt:text-is("Wanted spells")', { timeout: UI_TIMEOUT_MS })
      if ((await page.$$('[data-testid=suit] dt:text-is("Spells")')).length > 0) throw new Error('the ambiguous "Spells" score label is back')
      // The count beside the spell score names exactly the spells marked as scoring in the list.
      const counted = Number(await page.getAttribute('[data-testid=suit] >> nth=0 >> [data-testid=spell-score-count]', 'data-count'))
      const marked = (await page.$$('[data-testid=suit] >> nth=0 >> [data-scoring=yes]')).length
      if (counted !== marked) throw new Error(`the spell score counts ${counted} spells but the list marks ${marked}`)
      await shot('suits')
    })

    await test('command from the character page reaches the plugin socket', async () => {
      plugin = openPlugin(base)
      await plugin.opened
      plugin.sendTelemetry()
      const keepAlive = setInterval(() => plugin.sendTelemetry(), 3_000)
      try {
        await goto(`/characters/${encodeURIComponent(TESTER)}`)
        await heading(TESTER)
        await page.fill('[data-testid=command-input]', '/vt start')
        await eventually('the send button to enable (live socket open)', async () => page.isEnabled('[data-testid=command-send]'))
        await page.click('[data-testid=command-send]')
        const cmd = await eventually('a command frame on the plugin socket', async () => plugin.inbox.find((m) => m.type === 'command'), 15_000, 200)
        if (cmd.command !== '/vt start') throw new Error(`plugin got command ${JSON.stringify(cmd.command)}`)
        plugin.ws.send(
          JSON.stringify({ type: 'command_result', character_name: TESTER, request_id: cmd.request_id, ok: false, message: 'no such meta' }),
        )
        await page.waitForSelector('[data-testid=command-status][data-status=sent]', { timeout: UI_TIMEOUT_MS })
        // The server relays the plugin's reply, and the page shows its own words.
        const failed = await page.waitForSelector('[data-testid=command-status][data-result=failed]', { timeout: UI_TIMEOUT_MS })
        const shown = await failed.textContent()
        if (!shown?.includes('plugin failed: no such meta')) throw new Error(`command status shows ${JSON.stringify(shown)}`)
        await shot('command')
      } finally {
        clearInterval(keepAlive)
      }
    })

    await test('a dungeon map requested by the character page is drawn', async () => {
      if (!plugin) throw new Error('the command test did not open the plugin socket')
      plugin.enterDungeon()
      plugin.sendTelemetry()
      const keepAlive = setInterval(() => plugin.sendTelemetry(), 3_000)
      try {
        await goto(`/characters/${encodeURIComponent(TESTER)}`)
        await heading(TESTER)
        const req = await eventually('request_dungeon_map on the plugin socket', async () => plugin.inbox.find((m) => m.type === 'request_dungeon_map'), 20_000, 200)
        const square = [[[0, 0], [10, 0], [10, 10], [0, 10]]]
        plugin.ws.send(
          JSON.stringify({
            type: 'dungeon_map',
            character_name: TESTER,
            request_id: req.request_id,
            landblock: '0x02F3',
            name: 'Halls of Metos',
            cell_count: 3,
            bounds: { min: [0, -60, -6], max: [40, 0, 6] },
            cells: [
              { cell: '0x02F30100', x: 20, y: -50, z: 0, rot: 0, floor: square },
              { cell: '0x02F30105', x: 30, y: -50, z: 0, rot: 90, floor: square },
              { cell: '0x02F30106', x: 30, y: -40, z: 0, rot: 0, floor: square },
            ],
          }),
        )
        await eventually('the floor plan', async () => (await page.$$('[data-testid=dungeon-map] polygon')).length >= 3)
        await shot('dungeon')
      } finally {
        clearInterval(keepAlive)
      }
    })

    await test('notes board creates a note', async () => {
      await goto('/notes')
      await heading('Notes')
      await page.getByLabel('Title').first().fill('E2E note')
      await page.getByLabel('Details').first().fill('written by the browser suite')
      await page.getByRole('button', { name: 'Add note' }).click()
      await page.waitForSelector('[data-testid=notes-list] >> text=E2E note', { timeout: UI_TIMEOUT_MS })
      await shot('notes')
    })

    await test('chat keeps recent lines on the server and a line can be sent through a character', async () => {
      if (!plugin) throw new Error('the command test did not open the plugin socket')
      const line = `e2e history line ${Date.now()}`
      plugin.ws.send(JSON.stringify({ type: 'chat', character_name: TESTER, channel: 'allegiance', chat_type: 18, sender: 'E Two E Sender', text: line }))
      await sleep(500)
      // Opened after the line was said: it still shows, from the server's memory.
      await goto('/chat')
      await heading('Chat')
      await page.waitForSelector(`[data-testid=chat-log] >> text=${line}`, { timeout: UI_TIMEOUT_MS })
      const keepAlive = setInterval(() => plugin.sendTelemetry(), 3_000)
      try {
        plugin.sendTelemetry()
        await eventually('the tester in the character picker', async () => (await page.$$eval('[data-testid=chat-send-character] option', (els) => els.map((e) => e.value))).includes(TESTER))
        await page.selectOption('[data-testid=chat-send-character]', TESTER)
        await page.fill('[data-testid=chat-send-text]', '/a hello from the dashboard')
        await page.click('[data-testid=chat-send-button]')
        await eventually('the chat command on the plugin socket', async () => plugin.inbox.find((m) => m.type === 'command' && m.command === '/a hello from the dashboard'), 15_000, 200)
        await page.waitForSelector('[data-testid=chat-send-status][data-status=sent]', { timeout: UI_TIMEOUT_MS })
      } finally {
        clearInterval(keepAlive)
      }
      await shot('chat')
    })

    // Known flaky, left open in issue 15: passed and failed on the same binary in two runs
    // (the week's gains rows did not appear within 20 s on a loaded machine).
    await test('leaderboards show gains per period with rank change', async () => {
      await goto('/leaderboards')
      await heading('Leaderboards')
      await page.getByRole('radio', { name: 'Day' }).click()
      await eventually('gains rows', async () => (await page.$$('[data-testid=gains-table] tbody tr')).length > 0, DATA_TIMEOUT_MS, 2000)
      const change = (await page.textContent('[data-testid=rank-change]')) ?? ''
      if (!/new|▲|▼|–/.test(change)) throw new Error(`rank change cell reads "${change}"`)
      // The Levels column shows on every view that has rows (checked here, while the day's
      // kills are on screen: the XP view may say nobody gained XP and show no table).
      if ((await page.$$('[data-testid=gains-table] th:text-is("Levels")')).length !== 1) throw new Error('no Levels column in the gains table')
      // XP gains come and go with the simulation: the XP view shows either ranked rows or
      // says nobody gained XP, never the kills it showed before.
      await page.getByRole('radio', { name: 'XP' }).click()
      await eventually('the XP view', async () => {
        const rows = (await page.$$('[data-testid=gains-table] tbody tr')).length
        const text = (await page.textContent('main')) ?? ''
        return rows > 0 || /Nobody gained any xp/.test(text)
      })
      // Levels: a column on every view, and a view of its own ranked by levels gained.
      await page.getByRole('radio', { name: 'Levels' }).click()
      await eventually('the levels view', async () => {
        const text = (await page.textContent('main')) ?? ''
        if (/Nobody gained any levels/.test(text)) return true
        const cells = await page.$$eval('[data-testid=gains-table] tbody td[data-metric=level]', (els) => els.map((e) => e.textContent ?? ''))
        return cells.length > 0 && cells.every((c) => /^\+\d+( \(lvl \d+\))?$/.test(c))
      })
      const levels = await page.evaluate(async () => (await fetch('/api/leaderboard/gains?metric=level&period=day')).json())
      if (levels.metric !== 'level' || !Array.isArray(levels.rows) || levels.rows.some((r) => !(r.levels > 0))) throw new Error(`level gains answered ${JSON.stringify(levels).slice(0, 200)}`)
      // Kills gained today are in this week's gains too.
      await page.getByRole('radio', { name: 'Kills' }).click()
      await page.getByRole('radio', { name: 'Week' }).click()
      await eventually('gains rows for the week', async () => (await page.$$('[data-testid=gains-table] tbody tr')).length > 0)
      await shot('leaderboards')
    })

    await test('heatmap bins follow the zoom, with a legend', async () => {
      await goto('/spawns')
      await heading('Spawn heatmap')
      await page.waitForSelector('[data-testid=heat-legend]', { timeout: UI_TIMEOUT_MS })
      const cellAt = async () => {
        const t = (await page.textContent('[data-testid=heat-cell] option[value="0"]')) ?? ''
        return Number(/now ([\d.]+)/.exec(t)?.[1] ?? NaN)
      }
      const c0 = await eventually('an automatic cell size', async () => {
        const c = await cellAt()
        return Number.isFinite(c) ? c : null
      })
      const s0 = Number(await page.getAttribute('.dmap-view', 'data-scale'))
      if (c0 * s0 < 6.9) throw new Error(`cells are ${c0 * s0}px at full view`)
      for (let i = 0; i < 5; i++) await page.click('button[aria-label="Zoom in"]')
      await eventually('a finer cell when zoomed in', async () => (await cellAt()) < c0, 10_000)
      await shot('spawns')
    })

    await test('every input is labelled and disabled buttons look disabled', async () => {
      for (const path of ['/', '/map', '/items', '/suits', '/chat', '/notes', '/users', '/spawns', '/leaderboards', '/rares', '/portals', '/characters']) {
        await goto(path)
        await page.waitForSelector('h1', { timeout: UI_TIMEOUT_MS })
        await sleep(400)
        const bad = await unlabelledInputs()
        if (bad.length > 0) throw new Error(`${path}: inputs without a label: ${bad.join(' | ')}`)
      }
      await goto('/chat')
      await heading('Chat')
      const style = await page.$eval('[data-testid=chat-send-button]', (b) => {
        const c = getComputedStyle(b)
        return { disabled: b.disabled, border: c.borderStyle, image: c.backgroundImage }
      })
      if (!style.disabled || style.border !== 'dashed') throw new Error(`disabled button style: ${JSON.stringify(style)}`)
    })

    await test('loopback mode explains itself instead of offering Sign out', async () => {
      await page.context().clearCookies()
      await goto('/')
      await heading('Overview')
      await page.waitForSelector('[data-testid=loopback-note]', { timeout: UI_TIMEOUT_MS })
      if (await page.getByRole('button', { name: 'Sign out' }).isVisible().catch(() => false)) throw new Error('Sign out offered under loopback trust')
    })

    const simplePages = [
      ['rares', '/rares', 'Rares'],
      ['portals', '/portals', 'Portals'],
      ['spawns', '/spawns', 'Spawn heatmap'],
      ['users', '/users', 'Users'],
      ['tokens', '/tokens', 'API tokens'],
      ['backups', '/backups', 'Backups'],
    ]
    for (const [name, path, title] of simplePages) {
      await test(`${name} page renders`, async () => {
        await goto(path)
        await heading(title)
        // Let the page's first request settle: a loading state must resolve to content,
        // an empty state or an error box (errors fail below).
        await eventually('the page to finish loading', async () => (await page.$$('.state-loading')).length === 0)
        const errors = await page.$$eval('.state-error', (els) => els.map((e) => e.textContent))
        if (errors.length > 0) throw new Error(`error shown: ${errors.join(' | ')}`)
        await shot(name)
      })
    }

    await test('an admin creates a user on the Users page', async () => {
      await goto('/users')
      await heading('Users')
      const form = page.getByRole('form', { name: 'Create user' })
      await form.getByLabel('Username').fill(MEMBER.username)
      await form.getByLabel('Password').fill(MEMBER.password)
      await form.getByRole('button', { name: 'Create user' }).click()
      await page.waitForSelector(`[data-testid=users-table] th:text-is("${MEMBER.username}")`, { timeout: UI_TIMEOUT_MS })
      await shot('users-created')
    })

    await test('an admin creates, uses and revokes an API token on the Tokens page', async () => {
      // Tokens belong to a user: sign in as the admin (with X-Forwarded-For the loopback rule,
      // which has no user, does not apply).
      const context = page.context()
      await context.clearCookies()
      await context.setExtraHTTPHeaders({ 'X-Forwarded-For': '203.0.113.9' })
      try {
        await goto('/login?next=%2Ftokens')
        await page.getByLabel('Username').fill(ADMIN.username)
        await page.getByLabel('Password').fill(ADMIN.password)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(/\/tokens$/, { timeout: UI_TIMEOUT_MS })
        await heading('API tokens')
        const form = page.getByRole('form', { name: 'Create token' })
        await form.getByLabel('Name').fill('e2e bot')
        await form.getByRole('button', { name: 'Create token' }).click()
        const shown = await page.waitForSelector('[data-testid=new-token] code', { timeout: UI_TIMEOUT_MS })
        const token = (await shown.textContent()) ?? ''
        if (!token.startsWith('ovl_')) throw new Error(`no token shown: ${token}`)
        await page.waitForSelector('[data-testid=tokens-table] th:text-is("e2e bot")', { timeout: UI_TIMEOUT_MS })
        // The token is a bearer credential, checked from outside the loopback rule as well.
        const call = () => fetch(`${base}/api/live`, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': '203.0.113.9' } })
        const ok = await call()
        if (ok.status !== 200) throw new Error(`bearer token refused: ${ok.status}`)
        await shot('tokens-created')
        page.once('dialog', (d) => void d.accept())
        await page.getByRole('button', { name: 'Revoke' }).click()
        await eventually('the token to leave the list', async () => (await page.$$('[data-testid=tokens-table] th:text-is("e2e bot")')).length === 0)
        const gone = await call()
        if (gone.status !== 401) throw new Error(`revoked token still accepted: ${gone.status}`)
      } finally {
        await context.clearCookies()
        await context.setExtraHTTPHeaders({})
      }
    })

    await test('an admin adds an alert webhook, sends a test and sees the result', async () => {
      // A local stand-in for Discord that records posts and answers 204.
      const posts = []
      const receiver = createServer((req, res) => {
        let body = ''
        req.on('data', (c) => (body += c))
        req.on('end', () => {
          posts.push({ path: req.url, body })
          res.statusCode = 204
          res.end()
        })
      })
      await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
      const hook = `http://127.0.0.1:${receiver.address().port}/api/webhooks/77/e2e-token-abc`
      try {
        await goto('/alerts')
        await heading('Alerts')
        const card = page.locator('[data-testid=alert-kind-levelup]')
        await card.getByRole('button', { name: 'Add webhook' }).click()
        await card.getByLabel('Webhook 1').fill(hook)
        await card.getByRole('button', { name: 'Send test' }).click()
        await eventually('the test result', async () => ((await card.locator('[data-testid=test-result]').textContent()) ?? '').includes('Delivered (HTTP 204)'))
        if (!posts.some((p) => p.path.endsWith('/e2e-token-abc') && p.body.includes('Test from Overlord'))) throw new Error(`no test post received: ${JSON.stringify(posts)}`)
        await card.getByLabel('Template (empty: the default message)').fill('{character} reached {level}')
        await page.getByRole('button', { name: 'Save alert settings' }).click()
        await eventually('the save confirmation', async () => ((await page.textContent('[data-testid=alerts-save-result]').catch(() => '')) ?? '').includes('Saved'))
        await goto('/alerts')
        await heading('Alerts')
        await eventually('the saved webhook after a reload', async () => (await page.locator('[data-testid=alert-kind-levelup]').getByLabel('Webhook 1').inputValue().catch(() => '')) === hook)
        await eventually('the test in recent alerts', async () => ((await page.textContent('[data-testid=recent-alerts]').catch(() => '')) ?? '').includes('levelup (test)'))
        await shot('alerts')
      } finally {
        receiver.close()
      }
    })

    await test('an anonymous visitor gets the public pages read-only, not the others', async () => {
      const context = page.context()
      await context.clearCookies()
      await context.setExtraHTTPHeaders({ 'X-Forwarded-For': '203.0.113.9' })
      try {
        for (const [path, title] of [['/', 'Overview'], ['/map', null], ['/rares', 'Rares'], ['/leaderboards', 'Leaderboards']]) {
          await goto(path)
          await page.waitForSelector('[data-testid=public-view]', { timeout: UI_TIMEOUT_MS })
          if (title) await heading(title)
          if (!page.url().endsWith(path)) throw new Error(`public page ${path} went to ${page.url()}`)
        }
        const nav = (await page.$$eval('#sidebar li a', (as) => as.map((a) => a.textContent?.trim()))).join(',')
        if (nav !== 'Overview,Map,Rares,Leaderboards') throw new Error(`public nav: ${nav}`)
        await page.waitForSelector('[data-testid=public-sign-in]', { timeout: UI_TIMEOUT_MS })
        await shot('public-view')
        await goto('/items')
        await page.waitForURL(/\/login\?next=%2Fitems/, { timeout: UI_TIMEOUT_MS })
      } finally {
        await context.setExtraHTTPHeaders({})
      }
    })

    await test('an untrusted visitor is sent to Login and signs in', async () => {
      const context = page.context()
      // With X-Forwarded-For the server's loopback trust rule no longer applies (api.md Auth);
      // without cookies the setup test's admin session is gone too.
      await context.clearCookies()
      await context.setExtraHTTPHeaders({ 'X-Forwarded-For': '203.0.113.9' })
      try {
        await goto('/characters')
        await page.waitForURL(/\/login\?next=%2Fcharacters/, { timeout: UI_TIMEOUT_MS })
        await page.getByLabel('Username').fill(MEMBER.username)
        await page.getByLabel('Password').fill('not-the-password')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForSelector('.form-error', { timeout: UI_TIMEOUT_MS })
        await page.getByLabel('Password').fill(MEMBER.password)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(/\/characters$/, { timeout: UI_TIMEOUT_MS })
        await heading('Characters')
        await eventually('the signed-in user in the sidebar', async () => ((await page.textContent('.who')) ?? '').includes(MEMBER.username))
        await shot('signed-in-member')
        await page.getByRole('button', { name: 'Sign out' }).click()
        await page.waitForURL(/\/login/, { timeout: UI_TIMEOUT_MS })
      } finally {
        await context.setExtraHTTPHeaders({})
      }
    })

    await test('login and setup pages render', async () => {
      await goto('/login')
      await page.getByRole('heading', { name: 'Sign in to Overlord' }).waitFor({ timeout: UI_TIMEOUT_MS })
      await shot('login')
      await goto('/setup')
      await page.getByRole('heading', { name: 'First-run setup' }).waitFor({ timeout: UI_TIMEOUT_MS })
      await eventually('setup status', async () => (await page.$$('.state-loading')).length === 0)
      await shot('setup')
    })

    await test('phone width collapses the sidebar', async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      await goto('/map')
      await heading('Map')
      const menu = page.getByRole('button', { name: 'Open menu' })
      await menu.waitFor({ timeout: UI_TIMEOUT_MS })
      if (await page.getByRole('link', { name: 'Suit builder' }).isVisible()) throw new Error('sidebar visible before opening the menu')
      await shot('map-phone')
      await menu.click()
      await page.getByRole('link', { name: 'Suit builder' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS })
      await shot('menu-phone')
      await page.getByRole('link', { name: 'Characters' }).click()
      await heading('Characters')
      await shot('characters-phone')
      await goto('/map')
      await heading('Map')
      await page.waitForSelector('.dmap-canvas[data-axis-labels]', { timeout: UI_TIMEOUT_MS })
      for (let i = 0; i < 3; i++) {
        const c = await labelCollisions()
        if (c.length > 0) throw new Error(`phone map labels collide: ${c.slice(0, 5).join('; ')}`)
        await page.click('button[aria-label="Zoom in"]')
      }
      // Items on a phone: results first, filters folded behind a button.
      await goto('/items')
      await heading('Items')
      await page.waitForSelector('[data-testid=filters-toggle]', { state: 'visible', timeout: UI_TIMEOUT_MS })
      if (await page.isVisible('[data-testid=facets]')) throw new Error('filters shown before results on a phone')
      // The search box's placeholder fits the box on a phone (not cut mid-word).
      const fit = await page.$eval('[data-testid=item-search]', (el) => {
        const cs = getComputedStyle(el)
        const ctx = document.createElement('canvas').getContext('2d')
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`
        const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
        return { text: ctx.measureText(el.placeholder).width, room }
      })
      if (fit.text > fit.room) throw new Error(`the item search placeholder needs ${Math.round(fit.text)}px in a ${Math.round(fit.room)}px box on a phone`)
      await page.click('[data-testid=filters-toggle]')
      await page.waitForSelector('[data-testid=facets]', { state: 'visible', timeout: UI_TIMEOUT_MS })
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      if (width > 392) throw new Error(`the items page is ${width}px wide on a 390px phone`)
      await page.setViewportSize({ width: 1280, height: 720 })
    })

    await test('screenshots of every page at 1440×900 and 390×844', async () => {
      // Signed in as the admin again (the member test signed out).
      // Every route of routes.ts and the replay view (scripts/pages.mjs), so none is forgotten.
      const pages = dashboardPages().map((p) => [p.name, p.path.replace('{first}', encodeURIComponent(firstCharacter ?? TESTER))])
      for (const [w, h, tag] of [
        [1440, 900, 'desktop'],
        [390, 844, 'mobile'],
      ]) {
        await page.setViewportSize({ width: w, height: h })
        for (const [name, path] of pages) {
          await goto(path)
          await page.waitForSelector('h1', { timeout: UI_TIMEOUT_MS })
          await eventually('the page to settle', async () => (await page.$$('.state-loading')).length === 0, 15_000).catch(() => undefined)
          await sleep(600)
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
          if (overflow > 2) throw new Error(`${path} is ${overflow}px wider than the ${tag} viewport`)
          await shot(`page-${name}-${tag}`)
        }
      }
      await page.setViewportSize({ width: 1280, height: 720 })
    })
  } finally {
    plugin?.close()
    await context?.close().catch(() => undefined)
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
    await server.stop()
  }
}

let fatal = null
try {
  await run()
} catch (e) {
  fatal = e
  console.log(`FAIL setup: ${e?.message ?? e}`)
}
const passed = results.filter((r) => r.ok).length
const failed = results.length - passed + (fatal ? 1 : 0)
console.log(`screenshots and logs: ${ARTIFACTS}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
