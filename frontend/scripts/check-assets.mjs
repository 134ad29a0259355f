#!/usr/bin/env node
// Rebuilds the dashboard into a temporary directory and compares it, file by file and byte
// by byte, with the committed bundle in ../assets. CI runs this to reject a stale bundle:
// the build is deterministic, so any difference means someone changed frontend/ without
// running `npm run build`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const committed = resolve(frontend, '../assets')
const vite = join(frontend, 'node_modules', '.bin', 'vite')

function files(dir) {
  const out = new Map()
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(relative(dir, p), readFileSync(p))
    }
  }
  walk(dir)
  return out
}

if (!existsSync(vite)) {
  console.error('check-assets: node_modules is missing; run `npm ci` in frontend/ first')
  process.exit(2)
}
if (!existsSync(committed)) {
  console.error(`check-assets: ${committed} does not exist; run \`npm run build\` in frontend/ and commit it`)
  process.exit(1)
}

const out = mkdtempSync(join(tmpdir(), 'overlord-assets-check-'))
// Exit codes are set, not thrown with process.exit, so the temp dir is always removed.
try {
  const r = spawnSync(vite, ['build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: frontend, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error('check-assets: the build failed')
    process.exitCode = 1
  } else {
    const fresh = files(out)
    const old = files(committed)
    const problems = []
    for (const [name, bytes] of fresh) {
      const prev = old.get(name)
      if (!prev) problems.push(`missing from ../assets: ${name}`)
      else if (!prev.equals(bytes)) problems.push(`differs: ${name}`)
    }
    for (const name of old.keys()) if (!fresh.has(name)) problems.push(`stale file in ../assets: ${name}`)
    if (problems.length > 0) {
      console.error(`check-assets: ../assets does not match the sources (${problems.length} differences):`)
      for (const p of problems.slice(0, 50)) console.error(`  ${p}`)
      console.error('Fix: run `npm run build` in frontend/ and commit the assets/ folder.')
      process.exitCode = 1
    } else {
      console.log(`check-assets: ../assets matches a fresh build (${fresh.size} files)`)
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true })
}
