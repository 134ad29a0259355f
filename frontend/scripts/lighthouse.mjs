#!/usr/bin/env node
// Lighthouse over every dashboard page, desktop and mobile, printing a score table.
//
// Starts `$OVERLORD_BIN serve --demo` on a loopback port with a fresh data directory (the
// loopback rule signs the browser in as admin), waits for the simulated characters to store
// some data, then runs the npm `lighthouse` CLI against Debian's chromium for each page with
// the desktop preset and with the default (mobile) emulation. Prints one row per page and
// form factor with the performance, accessibility and best-practices scores, and exits
// non-zero when any score is below MIN_SCORE (default 95).
//
// Lighthouse is not a dependency of the dashboard (it is large and CI does not run it): the
// script installs the pinned version into LIGHTHOUSE_DIR (default ~/.cache/overlord-lighthouse)
// on first use with `npm install`.
//
// Pages: every route of src/lib/routes.ts plus the map's replay view (scripts/pages.mjs), so
// the list cannot drift from the router.
//
// Environment: OVERLORD_BIN (default ../target/x86_64-unknown-linux-gnu/release/overlord, then
// ../target/release/overlord), CHROMIUM (default /usr/bin/chromium), PAGES (comma list of
// paths instead of every page), MIN_SCORE, LIGHTHOUSE_DIR, WARMUP_S (seconds of demo data
// before measuring; 20), FORM_FACTORS (default desktop,mobile). Also prints the table as
// Markdown, for README's measurements.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serverBinary, startDemoServer } from './demo-server.mjs'
import { dashboardPages } from './pages.mjs'

const LIGHTHOUSE_VERSION = '13.5.0'
const here = dirname(fileURLToPath(import.meta.url))
const BIN = serverBinary([join(here, '../../target/x86_64-unknown-linux-gnu/release/overlord'), join(here, '../../target/release/overlord')])
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const MIN_SCORE = Number(process.env.MIN_SCORE ?? 95)
const WARMUP_S = Number(process.env.WARMUP_S ?? 20)
const LH_DIR = process.env.LIGHTHOUSE_DIR ?? join(homedir(), '.cache', 'overlord-lighthouse')
const PAGES = process.env.PAGES ? process.env.PAGES.split(',') : dashboardPages().map((p) => p.path)
const FORM_FACTORS = (process.env.FORM_FACTORS ?? 'desktop,mobile').split(',')

function lighthouseBin() {
  const bin = join(LH_DIR, 'node_modules', '.bin', 'lighthouse')
  if (!existsSync(bin)) {
    mkdirSync(LH_DIR, { recursive: true })
    console.error(`installing lighthouse@${LIGHTHOUSE_VERSION} into ${LH_DIR} …`)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', LH_DIR, `lighthouse@${LIGHTHOUSE_VERSION}`], { stdio: 'inherit' })
  }
  return bin
}

/** Where each page's full JSON report is kept, to see which elements fail an audit. */
const REPORTS = process.env.LH_REPORTS ?? join(tmpdir(), 'overlord-lighthouse-reports')

function runLighthouse(bin, url, formFactor, name) {
  mkdirSync(REPORTS, { recursive: true })
  const out = join(REPORTS, `${name}-${formFactor}.json`)
  const args = [
    url,
    '--quiet',
    '--output=json',
    `--output-path=${out}`,
    '--only-categories=performance,accessibility,best-practices',
    `--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run`,
  ]
  if (formFactor === 'desktop') args.push('--preset=desktop')
  execFileSync(bin, args, { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 })
  const report = JSON.parse(readFileSync(out, 'utf8'))
  const score = (id) => Math.round((report.categories[id]?.score ?? 0) * 100)
  const failing = Object.values(report.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary')
    .map((a) => a.id)
  return { performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices'), failing }
}

const bin = lighthouseBin()
const server = startDemoServer(BIN)
let worst = 100
const rows = []
try {
  const base = await server.url
  console.error(`server ${base}; letting the demo store ${WARMUP_S} s of data …`)
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000))
  const live = await (await fetch(`${base}/api/live`)).json()
  const first = live.characters?.[0]?.character_name ?? 'nobody'
  console.log(`lighthouse ${LIGHTHOUSE_VERSION}, ${CHROMIUM}, overlord ${BIN}; reports in ${REPORTS}`)
  console.log('page'.padEnd(28) + 'form     perf  a11y  best  failing audits')
  for (const path of PAGES) {
    const p = path.replace('{first}', encodeURIComponent(first))
    for (const ff of FORM_FACTORS) {
      let r
      // Lighthouse itself now and then fails to finish a run (about one in forty here: its
      // own page-load timeout under a loaded machine). One retry, saying so; a second failure
      // is a zero for that page, not the end of the table.
      for (let attempt = 1; attempt <= 2 && !r; attempt++) {
        try {
          r = runLighthouse(bin, `${base}${p}`, ff, path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home')
        } catch (e) {
          const why = String(e?.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? String(e?.message ?? e).split('\n')[0]
          console.error(`${path} ${ff}: lighthouse failed (attempt ${attempt} of 2): ${why}`)
          if (attempt === 2) r = { performance: 0, accessibility: 0, bestPractices: 0, failing: ['lighthouse-failed'] }
        }
      }
      worst = Math.min(worst, r.performance, r.accessibility, r.bestPractices)
      rows.push({ path, ff, ...r })
      console.log(`${path.padEnd(28)}${ff.padEnd(9)}${String(r.performance).padStart(4)}  ${String(r.accessibility).padStart(4)}  ${String(r.bestPractices).padStart(4)}  ${r.failing.join(', ')}`)
    }
  }
} finally {
  await server.stop()
}
console.log('\n| page | form factor | performance | accessibility | best practices |\n|---|---|---:|---:|---:|')
for (const r of rows) console.log(`| \`${r.path}\` | ${r.ff} | ${r.performance} | ${r.accessibility} | ${r.bestPractices} |`)
console.log(`lowest score: ${worst} (minimum ${MIN_SCORE})`)
process.exit(worst >= MIN_SCORE ? 0 : 1)
