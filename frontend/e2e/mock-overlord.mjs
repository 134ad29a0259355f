#!/usr/bin/env node
// A contract mock of `overlord serve --demo` for dashboard development and for checking the
// browser suite while the real binary is not available. It follows shared/api.md and
// shared/protocol.md §4 closely enough for the dashboard, with a small in-memory simulation.
// It is NOT the product: no persistence, naive search and a greedy "solver". The real e2e run
// uses the Rust binary (OVERLORD_BIN).
//
//   node e2e/mock-overlord.mjs serve --demo --listen 127.0.0.1:0 --data-dir /tmp/x
//   OVERLORD_BIN=e2e/mock-overlord.mjs npm run e2e
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { existsSync, statSync } from 'node:fs'
import { dirname, extname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'

const here = dirname(fileURLToPath(import.meta.url))
const ASSETS = resolve(here, '../../assets')
const args = process.argv.slice(2)
const listenArg = args[args.indexOf('--listen') + 1] ?? '127.0.0.1:8080'
const [HOST, PORT_TEXT] = listenArg.split(':')
const SECRET = process.env.OVERLORD_PLUGIN_SECRET ?? ''
const START = Date.now()
const TICK_MS = 2000

// ------------------------------------------------------------------ state
const chars = new Map() // key → {name, online, first, last, telemetry, vitals, history:[], stats, combat, quests, cantrips, plugin?}
const items = new Map() // `${owner}/${id}` → item
const rares = []
const portals = []
const spawns = []
const notes = []
const users = new Map()
const SETUP_TOKEN = Math.random().toString(16).slice(2)
const sessions = new Map()
const jobs = new Map()
const browsers = new Set()
let noteSeq = 1
let cmdSeq = 1700
let jobSeq = 1

const key = (n) => n.trim().toLowerCase()
function charOf(name) {
  const k = key(name)
  let c = chars.get(k)
  if (!c) {
    c = { name, online: false, first: Date.now(), last: Date.now(), telemetry: {}, vitals: null, history: [], stats: null, combat: null, quests: [], cantrips: null, plugin: null }
    chars.set(k, c)
  }
  return c
}

// ------------------------------------------------------------------ simulation
const TOWNS = [
  { ew: 33.6, ns: 42.1 },
  { ew: 72.8, ns: -33.5 },
  { ew: -1.8, ns: -21.5 },
  { ew: 49.2, ns: 25.6 },
  { ew: 0.7, ns: 13.5 },
]
const SIM = ['Mossy Tank', 'Mossy Mage', 'Scout Ye', 'Bigmoss'].map((name, i) => ({
  name,
  ew: (TOWNS[i]?.ew ?? 0) + 1,
  ns: (TOWNS[i]?.ns ?? 0) + 1,
  heading: i * 80,
  kills: 100 * (i + 1),
  deaths: i,
  level: 180 + i * 20,
  xp: 50_000_000_000 + i * 1e9,
  tapers: 1200 - i * 500,
  session: 3600,
}))

function landcellOf(ew, ns) {
  const gx = (ew + 101.95) * 240
  const gy = (ns + 101.95) * 240
  const bx = Math.floor(gx / 192)
  const by = Math.floor(gy / 192)
  const x = gx - bx * 192
  const y = gy - by * 192
  return { landcell: ((bx << 24) | (by << 16) | (Math.floor(x / 24) * 8 + Math.floor(y / 24) + 1)) >>> 0, x, y }
}

function step(s, dtS) {
  s.heading = (s.heading + (Math.random() - 0.5) * 40 + 360) % 360
  const speed = 0.01 * dtS
  s.ew += Math.sin((s.heading * Math.PI) / 180) * speed
  s.ns += Math.cos((s.heading * Math.PI) / 180) * speed
  if (Math.random() < 0.5) s.kills += 1
  s.session += dtS
  s.xp += Math.round(2_000_000 * dtS)
  if (Math.random() < 0.003) s.deaths += 1
  if (Math.random() < 0.01) s.tapers = Math.max(0, s.tapers - 3)
}

function telemetryOf(s, t) {
  const lc = landcellOf(s.ew, s.ns)
  return {
    received_at: t,
    landcell: lc.landcell,
    local_x: lc.x,
    local_y: lc.y,
    z: 40,
    ew: s.ew,
    ns: s.ns,
    heading: s.heading,
    is_dungeon: false,
    kills: s.kills,
    kills_per_hour: (s.kills / s.session) * 3600,
    deaths: s.deaths,
    total_deaths: 40 + s.deaths,
    rares_found: 0,
    prismatic_taper_count: s.tapers,
    session_seconds: Math.round(s.session),
    xp_per_hour: 7_200_000 + Math.round(Math.random() * 500_000),
    level: s.level,
    total_xp: s.xp,
    luminance: 1000000,
    vt_state: 'Combat',
  }
}

function record(name, tel) {
  const c = charOf(name)
  c.telemetry = { ...c.telemetry, ...tel }
  c.last = tel.received_at
  c.online = true
  c.history.push({ t: tel.received_at, ...tel })
  if (c.history.length > 20000) c.history.splice(0, c.history.length - 20000)
}

// Backfill two hours of history so trails, charts and replays have data at once.
for (const s of SIM) {
  const c = charOf(s.name)
  c.first = START - 2 * 3600_000
  const saved = { ...s }
  for (let t = START - 2 * 3600_000; t < START; t += 20_000) {
    step(s, 20)
    const tel = telemetryOf(s, t)
    c.history.push({ t, ...tel })
  }
  Object.assign(s, { ...s, kills: s.kills, session: saved.session })
  c.stats = {
    level: s.level,
    total_xp: s.xp,
    race: 'Aluvian',
    gender: 'Male',
    server: 'Coldeve',
    burden: 21840,
    burden_capacity: 53400,
    pyreals: 1830442,
    total_deaths: 41,
    vitae: 1,
    attributes: { strength: { base: 290, current: 356 }, endurance: { base: 200, current: 266 } },
    skills: { heavy_weapons: { id: 44, training: 'Specialized', base: 560, current: 642 } },
    ratings: { damage: 20, crit_damage: 18 },
    augmentations: 23,
  }
  c.combat = {
    session_seconds: 8940,
    given: { attacks: 5120, failed: 410, crits: 602, damage: 1942233, max_hit: 1311, kills: 1523, by_element: { slash: 1701220, fire: 241013 } },
    received: { attacks: 2204, failed: 1688, crits: 12, damage: 88412, max_hit: 604, by_element: { cold: 51220 } },
    top_targets: [{ name: 'Mosswart Mumbler', kills: 611, damage_given: 801223 }],
  }
  c.quests = [
    { name: 'gaerlandefeated', solves: 14, last_completed: Math.floor(START / 1000) - 700000, max_solves: -1, repeat_seconds: 604800, description: 'Finished the Gaerlan quest.' },
    { name: 'aerbaxchestkey1pickup', solves: 3, last_completed: Math.floor(START / 1000) - 3600, max_solves: -1, repeat_seconds: 432000, description: 'Picked up the first Aerbax Key.' },
  ]
  c.cantrips = {
    enchantments: [
      { spell_id: 6107, name: 'Legendary Strength', source: 'item', remaining_s: -1 },
      { spell_id: 6095, name: 'Epic Endurance', source: 'item', remaining_s: -1 },
      { spell_id: 2108, name: "Brogard's Defiance", source: 'cast', remaining_s: 3120 },
    ],
    summary: { legendary: 1, epic: 1, major: 0, minor: 0 },
  }
}
charOf('Mule One').first = START - 86400_000
charOf('Mule One').last = START - 3600_000

// Items: armor with coverage, sets, cantrips, ratings; jewelry.
const ARMOR = [
  ['Helm', 0x4000, 1, 'Head'],
  ['Breastplate', 0x400, 0x200, 'ChestArmor'],
  ['Girth', 0x800, 0x400, 'AbdomenArmor'],
  ['Pauldrons', 0x1000, 0x800, 'UpperArmArmor'],
  ['Vambraces', 0x2000, 0x1000, 'LowerArmArmor'],
  ['Gauntlets', 0x8000, 0x20, 'Hands'],
  ['Tassets', 0x100, 0x2000, 'UpperLegArmor'],
  ['Greaves', 0x200, 0x4000, 'LowerLegArmor'],
  ['Sollerets', 0x10000, 0x100, 'Feet'],
]
const FAMS = ['Strength', 'Endurance', 'Coordination', 'Quickness', 'Focus', 'Willpower', 'Invulnerability', 'Impregnability', 'Magic Resistance', 'Heavy Weapon Aptitude']
const TIERS = ['Major', 'Epic', 'Legendary']
const SETS = [[13, "Soldier's"], [14, "Adept's"], [16, "Defender's"]]
let oid = 2154380000
function rnd(a) {
  return a[Math.floor(Math.random() * a.length)]
}
function addItem(owner, it) {
  const item = { object_id: ++oid, owner, container_id: 1342177319, location: 'main_pack', has_id_data: true, updated_at: START, ...it }
  items.set(`${key(owner)}/${item.object_id}`, item)
}
for (const owner of ['Mossy Tank', 'Mossy Mage', 'Mule One']) {
  for (let n = 0; n < 3; n++) {
    for (const [name, cov, eq, slot] of ARMOR) {
      const [setId, setName] = rnd(SETS)
      const cantrips = [`${rnd(TIERS)} ${rnd(FAMS)}`, `${rnd(TIERS)} ${rnd(FAMS)}`]
      addItem(owner, {
        name: `${rnd(['Koujia', 'Celdon', 'Amuli', 'Lorica'])} ${name}`,
        object_class: { id: 2, name: 'Armor' },
        item_type: 2,
        value: 10000 + Math.floor(Math.random() * 9000),
        burden: 300 + Math.floor(Math.random() * 600),
        workmanship: 6 + Math.floor(Math.random() * 4),
        material: { id: 63, name: 'Silver' },
        equip_mask: eq,
        slots: [slot],
        coverage_mask: cov,
        armor_level: 400 + Math.floor(Math.random() * 250),
        set_id: setId,
        set_name: setName,
        spells: cantrips.map((c, i) => ({ id: 6000 + i, name: c })),
        cantrips,
        ratings: Math.random() < 0.4 ? { crit_damage: 1 + Math.floor(Math.random() * 2) } : {},
        wield_requirements: [{ type: 7, type_name: 'Level', skill_id: 1, value: 150 }],
        tinks: Math.floor(Math.random() * 10),
        imbues: [],
      })
    }
  }
  for (let n = 0; n < 4; n++) {
    const cantrips = [`Legendary ${rnd(FAMS)}`]
    addItem(owner, {
      name: rnd(['Ring', 'Bracelet', 'Necklace']),
      object_class: { id: 4, name: 'Jewelry' },
      item_type: 8,
      value: 9870,
      burden: 15,
      workmanship: 7,
      equip_mask: 786432,
      slots: ['FingerWearLeft', 'FingerWearRight'],
      coverage_mask: 0,
      spells: cantrips.map((c) => ({ id: 6107, name: c })),
      cantrips,
      ratings: { crit_damage: 2, damage_resist: 1 },
      wield_requirements: [{ type: 7, type_name: 'Level', skill_id: 1, value: 180 }],
    })
  }
}

for (let i = 0; i < 6; i++) {
  const t = START - i * 1800_000
  rares.push({ t, character_name: rnd(SIM).name, rare_name: rnd(["Alchemist's Crystal", "Smithy's Crystal", 'Pearl of Blood Drinking']), ew: 30 + i, ns: 40 - i, landcell: 0xa9b40019, is_dungeon: false })
}
for (let i = 0; i < 8; i++) {
  portals.push({ portal_name: `Portal to ${rnd(['Halls of Metos', 'Mosswart Maze', 'Glenden Wood Dungeon', 'Lugian Mines'])} ${i}`, ew: -50 + i * 12, ns: -30 + i * 9, z: 20, landcell: 0x866c0038, first_seen_ms: START - 86400_000, last_seen_ms: START - i * 60000, discovered_by: rnd(SIM).name })
}
for (let i = 0; i < 400; i++) {
  const town = rnd(TOWNS)
  spawns.push({ t: START - Math.random() * 86400_000, monster_name: rnd(['Mosswart Mumbler', 'Drudge Skulker', 'Banderling Guard']), ew: town.ew + (Math.random() - 0.5) * 6, ns: town.ns + (Math.random() - 0.5) * 6 })
}

function broadcast(topic, character, msg) {
  const text = JSON.stringify(msg)
  for (const b of browsers) {
    if (!b.topics.has(topic)) continue
    if (b.characters !== '*' && !b.characters.has(key(character))) continue
    if (b.ws.readyState === 1) b.ws.send(text)
  }
}

setInterval(() => {
  const t = Date.now()
  for (const s of SIM) {
    step(s, TICK_MS / 1000)
    const tel = telemetryOf(s, t)
    record(s.name, tel)
    broadcast('telemetry', s.name, { type: 'telemetry', character_name: s.name, ...tel })
    const v = { health: 300 + Math.floor(Math.random() * 150), health_max: 451, stamina: 640, stamina_max: 702, mana: Math.floor(Math.random() * 390), mana_max: 390, vitae: 1 }
    charOf(s.name).vitals = v
    broadcast('vitals', s.name, { type: 'vitals', character_name: s.name, received_at: t, ...v })
    if (Math.random() < 0.2) {
      const sp = { t, monster_name: 'Mosswart Mumbler', ew: s.ew + 0.05, ns: s.ns, character_name: s.name }
      spawns.push(sp)
      broadcast('spawn', s.name, { type: 'spawn', character_name: s.name, monster_name: sp.monster_name, ew: sp.ew, ns: sp.ns, is_dungeon: false, received_at: t })
    }
  }
  if (Math.random() < 0.3) {
    const s = rnd(SIM)
    broadcast('chat', s.name, { type: 'chat', character_name: s.name, channel: 'allegiance', chat_type: 18, sender: s.name, text: rnd(['anyone heading to Gaerlan?', 'inc rare!', 'need a port to Sawato', 'buffs in 5']), received_at: t })
  }
}, TICK_MS)

// ------------------------------------------------------------------ http helpers
function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers)
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
  res.end(text)
}
function err(res, status, code, message) {
  send(res, status, { error: { code, message } })
}
async function body(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
function userOf(req) {
  const cookie = req.headers.cookie ?? ''
  const m = /overlord_session=([^;]+)/.exec(cookie)
  if (m && sessions.has(m[1])) return users.get(sessions.get(m[1])) ?? null
  const ip = req.socket.remoteAddress ?? ''
  if (!req.headers['x-forwarded-for'] && (ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1')) return { username: 'localhost', role: 'admin' }
  return null
}
function num(v, d) {
  if (v === null || v === undefined || v === '') return d
  const n = Number(v)
  if (Number.isFinite(n)) return n
  const p = Date.parse(v)
  return Number.isFinite(p) ? p : d
}
function liveChar(c) {
  const t = c.telemetry
  return {
    character_name: c.name,
    online: c.online,
    last_seen_ms: c.last,
    telemetry: t,
    vitals: c.vitals,
    session: { kills: t.kills, kills_per_hour: t.kills_per_hour, deaths: t.deaths, rares_found: t.rares_found, session_seconds: t.session_seconds },
  }
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' }
async function serveStatic(req, res, path) {
  let file = normalize(join(ASSETS, path))
  if (!file.startsWith(ASSETS) || !existsSync(file) || statSync(file).isDirectory()) file = join(ASSETS, 'index.html')
  if (!existsSync(file)) return err(res, 404, 'not_found', 'no dashboard build in ../assets; run npm run build')
  res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' })
  res.end(await readFile(file))
}

// ------------------------------------------------------------------ search
function searchItems(q) {
  const text = (q.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  const owners = q.getAll('owner').map(key)
  const slots = q.getAll('slot').map((s) => s.toLowerCase())
  const cantrips = q.getAll('cantrip').map((s) => s.toLowerCase())
  const set = q.get('set')
  const cls = q.get('object_class')
  const minAl = num(q.get('min_armor_level'), null)
  let list = [...items.values()].filter((i) => {
    const hay = `${i.name} ${(i.spells ?? []).map((s) => s.name).join(' ')}`.toLowerCase()
    if (!text.every((w) => hay.includes(w))) return false
    if (owners.length && !owners.includes(key(i.owner))) return false
    if (slots.length && !slots.some((s) => (i.slots ?? []).some((x) => x.toLowerCase().includes(s)))) return false
    if (cantrips.length && !cantrips.every((c) => (i.cantrips ?? []).some((x) => x.toLowerCase().endsWith(c)))) return false
    if (set && i.set_name !== set && String(i.set_id) !== set) return false
    if (cls && i.object_class?.name !== cls && String(i.object_class?.id) !== cls) return false
    if (minAl !== null && !((i.armor_level ?? 0) >= minAl)) return false
    for (const [k, v] of q.entries()) if (k.startsWith('min_') && k !== 'min_armor_level' && !((i.ratings?.[k.slice(4)] ?? 0) >= Number(v))) return false
    return true
  })
  const sort = q.get('sort')
  if (sort && sort !== 'relevance') {
    const [f, d] = sort.split(':')
    list.sort((a, b) => ((a[f] ?? a.ratings?.[f] ?? 0) > (b[f] ?? b.ratings?.[f] ?? 0) ? 1 : -1) * (d === 'desc' ? -1 : 1))
  }
  const facets = {}
  for (const f of (q.get('facets') ?? '').split(',').filter(Boolean)) {
    const counts = {}
    for (const i of list) {
      const vals = f === 'owner' ? [i.owner] : f === 'set' ? (i.set_name ? [i.set_name] : []) : f === 'object_class' ? [i.object_class?.name] : f === 'slot' ? i.slots ?? [] : f === 'cantrip' ? i.cantrips ?? [] : []
      for (const v of vals) if (v) counts[v] = (counts[v] ?? 0) + 1
    }
    facets[f] = counts
  }
  const limit = Math.min(200, num(q.get('limit'), 100))
  const offset = num(q.get('offset'), 0)
  return { total: list.length, took_ms: 0.4, items: list.slice(offset, offset + limit), facets }
}

// ------------------------------------------------------------------ suit builder
function solve(req) {
  const owners = (req.owners ?? [req.character]).map(key)
  const excluded = new Set(req.excluded ?? [])
  const pool = [...items.values()].filter((i) => owners.includes(key(i.owner)) && !excluded.has(i.object_id) && i.object_class?.id === 2)
  const score = (i) => (i.armor_level ?? 0) + 1000 * (i.cantrips ?? []).length
  pool.sort((a, b) => score(b) - score(a))
  let used = 0
  const chosen = []
  for (const i of pool) {
    if ((i.coverage_mask & used) !== 0) continue
    used |= i.coverage_mask
    chosen.push(i)
  }
  const spells = new Map()
  for (const i of chosen) for (const c of i.cantrips ?? []) {
    const [tier, ...fam] = c.split(' ')
    spells.set(fam.join(' '), tier)
  }
  const armor = chosen.reduce((a, i) => a + (i.armor_level ?? 0), 0)
  return {
    score: armor + 1000 * spells.size,
    components: { spells: 1000 * spells.size, sets: 0, ratings: 0, armor },
    items: chosen.map((i) => ({ object_id: i.object_id, owner: i.owner, name: i.name, position: (i.slots?.[0] ?? 'armor').toLowerCase(), reduce_to: null })),
    spells: [...spells.entries()].map(([family, tier]) => ({ family, tier })),
    sets: [],
    ratings: {},
    armor_level_total: armor,
  }
}

function runJob(job) {
  const final = solve(job.req)
  let n = 0
  job.timer = setInterval(() => {
    n++
    const emit = (event, data) => {
      job.log.push({ event, data })
      for (const s of job.streams) s.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    emit('progress', { nodes: n * 12345, nodes_per_s: 49380, best_score: Math.round(final.score * Math.min(1, n / 5)), upper_bound: final.score + 500, elapsed_ms: n * 250 })
    if (n === 3) emit('best', { ...final, score: final.score - 100 })
    if (n >= 6) {
      clearInterval(job.timer)
      job.state = 'done'
      job.result = { optimal: true, suits: [final], stats: { nodes: n * 12345 } }
      emit('done', job.result)
      for (const s of job.streams) s.end()
      job.streams.clear()
    }
  }, 250)
}

// ------------------------------------------------------------------ routes
async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://x')
  const p = url.pathname
  const q = url.searchParams
  const m = (re) => re.exec(p)
  if (p === '/healthz') return send(res, 200, { status: 'ok', version: '0.1.0-mock', uptime_s: Math.round((Date.now() - START) / 1000) })
  if (!p.startsWith('/api/')) return serveStatic(req, res, p)
  if (p === '/api/version') {
    // MOCK_MAP_IMAGE_URL shows an operator map image over [-50,-50]..[50,50] (dev check only).
    const img = process.env.MOCK_MAP_IMAGE_URL ? { url: process.env.MOCK_MAP_IMAGE_URL, bounds: [-50, -50, 50, 50] } : null
    return send(res, 200, { version: '0.1.0-mock', build: 'mock', data_format: 1, server_time_ms: Date.now(), map_image: img })
  }
  if (p === '/api/auth/setup' && req.method === 'GET') return send(res, 200, { needed: users.size === 0 })
  if (p === '/api/auth/setup' && req.method === 'POST') {
    const b = await body(req)
    if (users.size > 0) return err(res, 409, 'conflict', 'setup is already complete')
    if (b?.token !== SETUP_TOKEN) return err(res, 401, 'unauthorized', 'the setup token is wrong; use the one printed at start')
    if ((b.password ?? '').length < 8) return err(res, 422, 'invalid', 'password must be at least 8 characters')
    const u = { username: b.username, role: 'admin', password: b.password, created_ms: Date.now(), last_login_ms: Date.now() }
    users.set(u.username, u)
    const sid = Math.random().toString(36).slice(2)
    sessions.set(sid, u.username)
    return send(res, 201, { user: { username: u.username, role: u.role } }, { 'Set-Cookie': `overlord_session=${sid}; HttpOnly; SameSite=Lax; Path=/` })
  }
  if (p === '/api/auth/login' && req.method === 'POST') {
    const b = await body(req)
    const u = users.get(b?.username ?? '')
    if (!u || u.password !== b?.password) return err(res, 401, 'unauthorized', 'wrong username or password')
    const sid = Math.random().toString(36).slice(2)
    sessions.set(sid, u.username)
    u.last_login_ms = Date.now()
    return send(res, 200, { user: { username: u.username, role: u.role } }, { 'Set-Cookie': `overlord_session=${sid}; HttpOnly; SameSite=Lax; Path=/` })
  }
  const user = userOf(req)
  if (!user) return err(res, 401, 'unauthorized', 'sign in first: this endpoint needs a session')
  if (p === '/api/auth/logout') return send(res, 204)
  if (p === '/api/auth/me') return send(res, 200, { username: user.username, role: user.role })
  if (p === '/api/admin/users') {
    if (req.method === 'GET') return send(res, 200, { users: [...users.values()].map(({ password: _password, ...u }) => u) })
    const b = await body(req)
    if (users.has(b.username)) return err(res, 409, 'conflict', `user "${b.username}" exists`)
    if ((b.password ?? '').length < 8) return err(res, 422, 'invalid', 'password must be at least 8 characters')
    users.set(b.username, { username: b.username, role: b.role, password: b.password, created_ms: Date.now(), last_login_ms: null })
    return send(res, 201, { username: b.username, role: b.role })
  }
  let r
  if ((r = m(/^\/api\/admin\/users\/([^/]+)$/))) {
    const name = decodeURIComponent(r[1])
    const u = users.get(name)
    if (!u) return err(res, 404, 'not_found', 'no such user')
    if (req.method === 'DELETE') {
      users.delete(name)
      return send(res, 204)
    }
    const b = await body(req)
    if (b.role) u.role = b.role
    if (b.password) u.password = b.password
    return send(res, 200, { username: u.username, role: u.role })
  }
  if (p === '/api/live') return send(res, 200, { server_time_ms: Date.now(), characters: [...chars.values()].filter((c) => c.last > Date.now() - 600_000).map(liveChar) })
  if (p === '/api/characters')
    return send(res, 200, { characters: [...chars.values()].map((c) => ({ character_name: c.name, online: c.online, first_seen_ms: c.first, last_seen_ms: c.last, level: c.telemetry.level ?? null, total_deaths: c.telemetry.total_deaths ?? null, rares_total: 0, items: [...items.values()].filter((i) => key(i.owner) === key(c.name)).length })) })
  if ((r = m(/^\/api\/characters\/([^/]+)(\/(trail|series|inventory))?$/))) {
    const c = chars.get(key(decodeURIComponent(r[1])))
    if (!c) return err(res, 404, 'not_found', 'never seen')
    const to = num(q.get('to'), Date.now())
    const from = num(q.get('from'), to - 3600_000)
    if (r[3] === 'trail') {
      const pts = c.history.filter((h) => h.t >= from && h.t <= to).map((h) => ({ t: h.t, ew: h.ew, ns: h.ns, z: h.z, landcell: h.landcell, is_dungeon: h.is_dungeon }))
      return send(res, 200, { character_name: c.name, points: pts, segments: pts.length ? [[0, pts.length - 1]] : [] })
    }
    if (r[3] === 'series') {
      const metric = q.get('metric') ?? 'kills'
      const stepS = num(q.get('step_s'), 60)
      const buckets = new Map()
      for (const h of c.history) if (h.t >= from && h.t <= to && h[metric] !== undefined) buckets.set(Math.floor(h.t / 1000 / stepS) * stepS * 1000, h[metric])
      return send(res, 200, { metric, step_s: stepS, points: [...buckets.entries()] })
    }
    if (r[3] === 'inventory') return send(res, 200, { items: [...items.values()].filter((i) => key(i.owner) === key(c.name) && (!q.get('location') || i.location === q.get('location'))) })
    return send(res, 200, { character_name: c.name, online: c.online, last_seen_ms: c.last, telemetry: c.telemetry, character_stats: c.stats, combat_stats: c.combat, vitals: c.vitals, cantrips: c.cantrips, quests: { quests: c.quests }, nearby_objects: null, session: liveChar(c).session, lifetime: { kills: 12345, deaths: 41, xp: 5e9, rares: 3, distance_m: 123456, online_s: 360000, first_seen_ms: c.first, last_seen_ms: c.last } })
  }
  if (p === '/api/rares') return send(res, 200, { rares: rares.filter((x) => x.t >= num(q.get('from'), 0) && (!q.get('character') || key(x.character_name).includes(key(q.get('character'))))).sort((a, b) => b.t - a.t) })
  if (p === '/api/portals') return send(res, 200, { portals: portals.filter((x) => !q.get('q') || x.portal_name.toLowerCase().includes(q.get('q').toLowerCase())) })
  if (p === '/api/spawns/heatmap') {
    const cell = Math.max(0.05, num(q.get('cell'), 0.1))
    const bins = new Map()
    for (const s of spawns) {
      if (s.t < num(q.get('from'), 0)) continue
      if (q.get('monster') && !s.monster_name.toLowerCase().includes(q.get('monster').toLowerCase())) continue
      const k = `${Math.floor(s.ew / cell) * cell}|${Math.floor(s.ns / cell) * cell}`
      bins.set(k, (bins.get(k) ?? 0) + 1)
    }
    return send(res, 200, { cell, bins: [...bins.entries()].map(([k, count]) => ({ ew: Number(k.split('|')[0]) + cell / 2, ns: Number(k.split('|')[1]) + cell / 2, count })) })
  }
  if (p === '/api/leaderboard') return send(res, 200, { rows: SIM.map((s) => ({ character_name: s.name, value: q.get('metric') === 'xp' ? s.xp : q.get('metric') === 'deaths' ? s.deaths : s.kills })).sort((a, b) => b.value - a.value) })
  if (p === '/api/items/search') return send(res, 200, searchItems(q))
  if (p === '/api/items/stats') {
    const by = {}
    for (const i of items.values()) by[i.owner] = (by[i.owner] ?? 0) + 1
    return send(res, 200, { items_total: items.size, by_owner: by, index_lag_ms: 0 })
  }
  if ((r = m(/^\/api\/items\/([^/]+)\/(\d+)$/))) {
    const it = items.get(`${key(decodeURIComponent(r[1]))}/${r[2]}`)
    return it ? send(res, 200, { ...it, raw: { int: { 5: it.burden }, double: {}, string: { 1: it.name }, bool: {} } }) : err(res, 404, 'not_found', 'no such item')
  }
  if (p === '/api/suitbuilder/jobs' && req.method === 'POST') {
    const b = await body(req)
    if (!b?.character) return err(res, 422, 'invalid', 'character is required')
    const id = `j${jobSeq++}`
    const job = { id, req: b, state: 'running', result: null, streams: new Set(), log: [], timer: null }
    jobs.set(id, job)
    runJob(job)
    return send(res, 202, { job_id: id, events_url: `/api/suitbuilder/jobs/${id}/events` })
  }
  if (p === '/api/suitbuilder/solve') return send(res, 200, { optimal: true, suits: [solve(await body(req))], stats: {} })
  if ((r = m(/^\/api\/suitbuilder\/jobs\/([^/]+)(\/events)?$/))) {
    const job = jobs.get(r[1])
    if (!job) return err(res, 404, 'not_found', 'no such job')
    if (r[2]) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
      for (const l of job.log) res.write(`event: ${l.event}\ndata: ${JSON.stringify(l.data)}\n\n`)
      if (job.state !== 'running') return res.end()
      job.streams.add(res)
      req.on('close', () => job.streams.delete(res))
      return
    }
    if (req.method === 'DELETE') {
      clearInterval(job.timer)
      job.state = 'cancelled'
      for (const s of job.streams) s.end()
      return send(res, 204)
    }
    return send(res, 200, { state: job.state, result: job.result })
  }
  if (p === '/api/notes') {
    if (req.method === 'GET') return send(res, 200, { notes: notes.filter((n) => !q.get('state') || n.state === q.get('state')) })
    const b = await body(req)
    if (!b?.title) return err(res, 422, 'invalid', 'title is required')
    const n = { id: noteSeq++, title: b.title, body: b.body ?? '', author: user.username, state: 'open', created_ms: Date.now(), updated_ms: Date.now() }
    notes.push(n)
    return send(res, 201, n)
  }
  if ((r = m(/^\/api\/notes\/(\d+)$/))) {
    const i = notes.findIndex((n) => n.id === Number(r[1]))
    if (i < 0) return err(res, 404, 'not_found', 'no such note')
    if (req.method === 'DELETE') {
      notes.splice(i, 1)
      return send(res, 204)
    }
    Object.assign(notes[i], await body(req), { updated_ms: Date.now() })
    return send(res, 200, notes[i])
  }
  if (p === '/api/events') return send(res, 200, { events: [], next_cursor: null })
  return err(res, 404, 'not_found', `no route ${p}`)
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(e)
    err(res, 500, 'internal', 'internal error')
  })
})

// ------------------------------------------------------------------ websockets
const wssLive = new WebSocketServer({ noServer: true })
const wssPlugin = new WebSocketServer({ noServer: true })
server.on('upgrade', (req, socket, head) => {
  const p = new URL(req.url ?? '/', 'http://x').pathname
  if (p === '/ws/position') {
    if (!SECRET || req.headers['x-plugin-secret'] !== SECRET) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return
    }
    wssPlugin.handleUpgrade(req, socket, head, (ws) => onPlugin(ws))
  } else if (p === '/ws/live') {
    if (!userOf(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return
    }
    wssLive.handleUpgrade(req, socket, head, (ws) => onBrowser(ws))
  } else socket.destroy()
})

function onPlugin(ws) {
  let bound = null
  ws.on('message', (data) => {
    let m
    try {
      m = JSON.parse(String(data))
    } catch {
      return ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'not JSON' }))
    }
    const name = m.character_name ?? m.player_name
    if (!name) return
    if (!bound) {
      bound = charOf(name)
      bound.plugin = ws
    }
    const t = Date.now()
    if (m.type === 'telemetry') {
      const tel = { ...m, received_at: t }
      delete tel.type
      delete tel.character_name
      for (const k of ['kills_per_hour', 'deaths', 'total_deaths', 'prismatic_taper_count']) if (typeof tel[k] === 'string') tel[k] = Number(tel[k].replace(',', '.'))
      if (typeof tel.landcell === 'string') tel.landcell = Number.parseInt(tel.landcell, 16) >>> 0
      record(name, tel)
      broadcast('telemetry', name, { type: 'telemetry', character_name: name, ...tel })
    } else if (m.type === 'dungeon_map') {
      const text = JSON.stringify({ ...m, character_name: name, received_at: t })
      for (const b of browsers) if (b.ws.readyState === 1) b.ws.send(text)
    } else if (m.type === 'command_result') {
      broadcast('command_result', name, { ...m, character_name: name, received_at: t })
    }
  })
  ws.on('close', () => {
    if (bound) {
      bound.online = false
      bound.plugin = null
      broadcast('online', bound.name, { type: 'online', character_name: bound.name, online: false, reason: 'socket_closed' })
    }
  })
}

function onBrowser(ws) {
  const b = { ws, topics: new Set(), characters: '*' }
  browsers.add(b)
  ws.on('close', () => browsers.delete(b))
  ws.on('message', (data) => {
    let m
    try {
      m = JSON.parse(String(data))
    } catch {
      return ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'not JSON' }))
    }
    if (m.type === 'subscribe') {
      const known = ['telemetry', 'vitals', 'chat', 'rare', 'portal', 'spawn', 'combat_stats', 'character_stats', 'quest', 'cantrips', 'nearby_objects', 'online', 'combat', 'dungeon_map', 'command_result', 'inventory']
      const bad = (m.topics ?? []).find((t) => !known.includes(t))
      if (bad) return ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: `unknown topic '${bad}'` }))
      b.topics = new Set(m.topics ?? [])
      b.characters = m.characters === '*' ? '*' : new Set((m.characters ?? []).map(key))
      const list = [...chars.values()].filter((c) => b.characters === '*' || b.characters.has(key(c.name)))
      ws.send(JSON.stringify({ type: 'snapshot', server_time: new Date().toISOString(), characters: list.map((c) => ({ character_name: c.name, online: c.online, telemetry: c.telemetry, vitals: c.vitals })) }))
      return
    }
    if (m.type === 'request_dungeon_map') {
      const c = chars.get(key(m.player_name ?? ''))
      if (!c?.plugin || c.plugin.readyState !== 1) return ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: `'${m.player_name}' is not connected` }))
      c.plugin.send(JSON.stringify({ type: 'request_dungeon_map', request_id: `d-${cmdSeq++}` }))
      return
    }
    if (m.command !== undefined && m.player_name) {
      const c = chars.get(key(m.player_name))
      const request_id = m.request_id ?? `c-${cmdSeq++}`
      if (!c?.plugin || c.plugin.readyState !== 1) return ws.send(JSON.stringify({ type: 'command_ack', player_name: m.player_name, request_id, status: 'not_connected' }))
      c.plugin.send(JSON.stringify({ type: 'command', request_id, command: m.command, issued_by: 'localhost' }))
      return ws.send(JSON.stringify({ type: 'command_ack', player_name: c.name, request_id, status: 'sent' }))
    }
    ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: `unknown message type '${m.type}'` }))
  })
}

server.listen(Number(PORT_TEXT ?? 0), HOST, () => {
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : PORT_TEXT
  console.error(`no user exists yet: open http://${HOST}:${port}/setup?token=${SETUP_TOKEN} to create the first admin`)
  console.log(`overlord listening on http://${HOST}:${port}`)
})
const stop = () => {
  server.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
