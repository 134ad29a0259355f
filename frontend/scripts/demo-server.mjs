// Starts `overlord serve --demo` on a loopback port with a fresh data directory (the loopback
// rule signs a browser in as admin) for the measuring scripts (Lighthouse, screenshots).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The server binary: OVERLORD_BIN, else the first of `candidates` that exists. */
export function serverBinary(candidates) {
  const list = [process.env.OVERLORD_BIN, ...candidates].filter(Boolean)
  return resolve(list.find((p) => existsSync(p)) ?? list[0])
}

/** { url: Promise<base URL>, stop() }. */
export function startDemoServer(bin) {
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}; build it or set OVERLORD_BIN`)
  const dataDir = mkdtempSync(join(tmpdir(), 'overlord-demo-data-'))
  const proc = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
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
  // Waits for the server to exit before removing its data directory (it writes until then).
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    }
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 })
  }
  return { url, stop }
}
