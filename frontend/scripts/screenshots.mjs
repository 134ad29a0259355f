#!/usr/bin/env node
// Screenshots of every dashboard page (scripts/pages.mjs: every route of routes.ts plus the
// map's replay) at 1440×900 and 390×844, from the real binary in demo mode, for a person to
// look at. Writes SHOTS_DIR/<page>-<desktop|mobile>.png (default /tmp/overlord-shots, kept
// out of git) and prints, per shot, the problems a machine can see: horizontal overflow,
// text clipped by its own box, page errors. Exits non-zero when any shot has one.
//
// Environment: OVERLORD_BIN (default ../target/release/overlord, then ../target/debug/overlord),
// CHROMIUM (default /usr/bin/chromium), SHOTS_DIR, WARMUP_S (seconds of demo data first; 20),
// PAGES (comma list of page names to take instead of all).
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { serverBinary, startDemoServer } from './demo-server.mjs'
import { dashboardPages } from './pages.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const BIN = serverBinary([join(here, '../../target/release/overlord'), join(here, '../../target/debug/overlord')])
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const OUT = process.env.SHOTS_DIR ?? '/tmp/overlord-shots'
const WARMUP_S = Number(process.env.WARMUP_S ?? 20)
const ONLY = new Set((process.env.PAGES ?? '').split(',').filter(Boolean))
const SIZES = [
  { tag: 'desktop', width: 1440, height: 900 },
  { tag: 'mobile', width: 390, height: 844 },
]

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
mkdirSync(OUT, { recursive: true })
const server = startDemoServer(BIN)
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
let problems = 0
try {
  const base = await server.url
  console.error(`server ${base} (${BIN}); letting the demo store ${WARMUP_S} s of data …`)
  await sleep(WARMUP_S * 1000)
  const live = await (await fetch(`${base}/api/live`)).json()
  const first = live.characters?.[0]?.character_name ?? 'nobody'
  for (const size of SIZES) {
    const page = await browser.newPage({ viewport: { width: size.width, height: size.height } })
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e?.message ?? e)))
    for (const p of dashboardPages()) {
      if (ONLY.size > 0 && !ONLY.has(p.name)) continue
      errors.length = 0
      await page.goto(`${base}${p.path.replace('{first}', encodeURIComponent(first))}`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector('h1', { timeout: 20_000 }).catch(() => undefined)
      for (let i = 0; i < 30 && (await page.$$('.state-loading')).length > 0; i++) await sleep(500)
      await sleep(1500)
      const file = join(OUT, `${p.name}-${size.tag}.png`)
      await page.screenshot({ path: file })
      const seen = await page.evaluate(() => {
        const out = []
        const over = document.documentElement.scrollWidth - window.innerWidth
        if (over > 1) out.push(`${over}px horizontal overflow`)
        // Text cut by its own box (ellipsis aside): a sign of a label that does not fit.
        for (const el of document.querySelectorAll('main button, main th, main td, main dt, main dd, main label, main h1, main h2')) {
          const cs = getComputedStyle(el)
          if (cs.textOverflow === 'ellipsis' || cs.overflow === 'visible') continue
          if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) out.push(`clipped: ${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}"`)
        }
        return out.slice(0, 6)
      })
      const all = [...seen, ...errors.map((e) => `page error: ${e}`)]
      problems += all.length
      console.log(`${file}${all.length ? `\n    ${all.join('\n    ')}` : ''}`)
    }
    await page.close()
  }
} finally {
  await browser.close()
  await server.stop()
}
console.log(`${problems} problem(s) seen`)
process.exit(problems > 0 ? 1 : 0)
