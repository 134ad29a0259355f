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
// Environment: OVERLORD_BIN (default ../target/x86_64-unknown-linux-gnu/release/overlord, then
// ../target/release/overlord), CHROMIUM (default /usr/bin/chromium), PAGES (comma list of
// paths), MIN_SCORE, LIGHTHOUSE_DIR, WARMUP_S (seconds of demo data before measuring; 20).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const LIGHTHOUSE_VERSION = '13.5.0'
const here = dirname(fileURLToPath(import.meta.url))
const candidates = [process.env.OVERLORD_BIN, join(here, '../../target/x86_64-unknown-linux-gnu/release/overlord'), join(here, '../../target/release/overlord')].filter(Boolean)
const BIN = resolve(candidates.find((p) => existsSync(p)) ?? candidates[0])
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const MIN_SCORE = Number(process.env.MIN_SCORE ?? 95)
const WARMUP_S = Number(process.env.WARMUP_S ?? 20)
const LH_DIR = process.env.LIGHTHOUSE_DIR ?? join(homedir(), '.cache', 'overlord-lighthouse')
const PAGES = (process.env.PAGES ?? '/,/map,/characters,/characters/{first},/rares,/portals,/spawns,/leaderboards,/chat,/notes,/items,/suits,/users,/login').split(',')

function lighthouseBin() {
  const bin = join(LH_DIR, 'node_modules', '.bin', 'lighthouse')
  if (!existsSync(bin)) {
    mkdirSync(LH_DIR, { recursive: true })
    console.error(`installing lighthouse@${LIGHTHOUSE_VERSION} into ${LH_DIR} …`)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', LH_DIR, `lighthouse@${LIGHTHOUSE_VERSION}`], { stdio: 'inherit' })
  }
  return bin
}

function startServer() {
  if (!existsSync(BIN)) throw new Error(`no server binary at ${BIN}; build it or set OVERLORD_BIN`)
  const dataDir = mkdtempSync(join(tmpdir(), 'overlord-lh-data-'))
  const proc = spawn(BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = new Promise((res, rej) => {
    let buf = ''
    const timer = setTimeout(() => rej(new Error('the server did not start within 60 s')), 60_000)
    const on = (d) => {
      buf += d.toString()
      const m = /overlord listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf)
      if (m) {
        clearTimeout(timer)
        res(m[1])
      }
    }
    proc.stdout.on('data', on)
    proc.stderr.on('data', on)
    proc.on('exit', (code) => rej(new Error(`the server exited (${code})`)))
  })
  const stop = () => {
    proc.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { url, stop }
}

function runLighthouse(bin, url, formFactor) {
  const out = join(tmpdir(), `overlord-lh-${process.pid}-${Date.now()}.json`)
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
  rmSync(out, { force: true })
  const score = (id) => Math.round((report.categories[id]?.score ?? 0) * 100)
  const failing = Object.values(report.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary')
    .map((a) => a.id)
  return { performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices'), failing }
}

const bin = lighthouseBin()
const server = startServer()
let worst = 100
try {
  const base = await server.url
  console.error(`server ${base}; letting the demo store ${WARMUP_S} s of data …`)
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000))
  const live = await (await fetch(`${base}/api/live`)).json()
  const first = live.characters?.[0]?.character_name ?? 'nobody'
  console.log(`lighthouse ${LIGHTHOUSE_VERSION}, ${CHROMIUM}, overlord ${BIN}`)
  console.log('page'.padEnd(28) + 'form     perf  a11y  best  failing audits')
  for (const path of PAGES) {
    const p = path.replace('{first}', encodeURIComponent(first))
    for (const ff of ['desktop', 'mobile']) {
      const r = runLighthouse(bin, `${base}${p}`, ff)
      worst = Math.min(worst, r.performance, r.accessibility, r.bestPractices)
      console.log(`${path.padEnd(28)}${ff.padEnd(9)}${String(r.performance).padStart(4)}  ${String(r.accessibility).padStart(4)}  ${String(r.bestPractices).padStart(4)}  ${r.failing.join(', ')}`)
    }
  }
} finally {
  server.stop()
}
console.log(`lowest score: ${worst} (minimum ${MIN_SCORE})`)
process.exit(worst >= MIN_SCORE ? 0 : 1)
