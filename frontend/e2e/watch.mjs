// A dashboard stand-in for footprint runs: one browser socket on /ws/live subscribed to the
// topics the dashboard subscribes to for every character, counting what arrives.
// Usage: node e2e/watch.mjs ws://127.0.0.1:PORT [seconds]  (loopback is trusted as admin)
import WebSocket from 'ws'

const base = process.argv[2] ?? 'ws://127.0.0.1:8770'
const seconds = Number(process.argv[3] ?? 0)
const topics = ['telemetry', 'vitals', 'chat', 'rare', 'portal', 'spawn', 'online']
let messages = 0
let bytes = 0

function connect() {
  const ws = new WebSocket(`${base}/ws/live`)
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics, characters: '*' })))
  ws.on('message', (data) => {
    messages += 1
    bytes += data.length
  })
  ws.on('close', () => setTimeout(connect, 1000))
  ws.on('error', () => {})
}

connect()
const report = setInterval(() => {
  console.log(`${new Date().toISOString()} watch: ${messages} messages, ${(bytes / 1048576).toFixed(1)} MiB`)
}, 60_000)
if (seconds > 0) {
  setTimeout(() => {
    clearInterval(report)
    console.log(`watch: ${messages} messages, ${(bytes / 1048576).toFixed(1)} MiB in ${seconds} s`)
    process.exit(0)
  }, seconds * 1000)
}
