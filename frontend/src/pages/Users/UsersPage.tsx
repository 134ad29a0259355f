/**
 * Users (admin): list, create, change role or password, delete (docs/api.md Auth and users).
 */
import { useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import type { Role, UserRow } from '../../api/types'
import { useAuth } from '../../components/Auth'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { AsyncView, Empty } from '../../components/States'
import { formatDateTime, formatRelative } from '../../lib/format'

const MIN_PASSWORD = 8

export default function UsersPage() {
  useTitle('Users')
  const { user } = useAuth()
  const users = useAsync((s) => api.users(s), [])
  const now = useNow(30_000)
  const [error, setError] = useState<string | null>(null)
  const [info, setInfo] = useState<string | null>(null)

  if (user?.role !== 'admin') return <Empty>Only administrators can manage users.</Empty>

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(null)
    setInfo(null)
    try {
      await fn()
      setInfo(done)
      users.reload()
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <div>
      <PageHeader title="Users" sub="Admins do everything; members everything but administration; viewers read everything and change nothing" />
      <CreateUser onCreate={(u, p, r) => act(() => api.createUser(u, p, r), `Created ${u}.`)} />
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      {info && (
        <div className="form-ok" role="status">
          {info}
        </div>
      )}
      <AsyncView state={users} isEmpty={(d) => d.users.length === 0} empty="No users yet." loadingLabel="Loading users…">
        {(d) => (
          <div className="table-wrap">
            <table className="table" data-testid="users-table">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.users.map((u) => (
                  <UserRowView key={u.username} u={u} now={now} act={act} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
    </div>
  )
}

function UserRowView({ u, now, act }: { u: UserRow; now: number; act: (fn: () => Promise<unknown>, done: string) => Promise<void> }) {
  const [pw, setPw] = useState('')
  return (
    <tr>
      <th scope="row">{u.username}</th>
      <td>
        <label>
          <span className="sr-only">Role of {u.username}</span>
          <select value={u.role} onChange={(e) => void act(() => api.updateUser(u.username, { role: e.target.value as Role }), `${u.username} is now ${e.target.value}.`)}>
            <option value="admin">admin</option>
            <option value="member">member</option>
            <option value="viewer">viewer</option>
          </select>
        </label>
      </td>
      <td title={formatDateTime(u.created_ms)}>{formatRelative(u.created_ms, now)}</td>
      <td title={formatDateTime(u.last_login_ms)}>{u.last_login_ms ? formatRelative(u.last_login_ms, now) : 'never'}</td>
      <td>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault()
            if (pw.length < MIN_PASSWORD) return
            void act(() => api.updateUser(u.username, { password: pw }), `Password of ${u.username} changed; their sessions were signed out.`).then(() => setPw(''))
          }}
        >
          <label>
            <span className="sr-only">New password for {u.username}</span>
            <input type="password" placeholder="new password" value={pw} onChange={(e) => setPw(e.target.value)} minLength={MIN_PASSWORD} autoComplete="new-password" />
          </label>
          <button type="submit" disabled={pw.length < MIN_PASSWORD}>
            Set
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(`Delete user ${u.username}?`)) void act(() => api.deleteUser(u.username), `Deleted ${u.username}.`)
            }}
          >
            Delete
          </button>
        </form>
      </td>
    </tr>
  )
}

function CreateUser({ onCreate }: { onCreate: (u: string, p: string, r: Role) => Promise<void> }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('member')
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await onCreate(username.trim(), password, role)
    setUsername('')
    setPassword('')
  }
  const weak = password.length > 0 && password.length < MIN_PASSWORD
  return (
    <form className="card inline-form wrap" onSubmit={submit} aria-label="Create user">
      <label>
        Username
        <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
      </label>
      <label>
        Password
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={MIN_PASSWORD} autoComplete="new-password" aria-invalid={weak} />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="member">member</option>
          <option value="viewer">viewer</option>
          <option value="admin">admin</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={!username.trim() || password.length < MIN_PASSWORD}>
        Create user
      </button>
      {weak && <span className="form-error">At least {MIN_PASSWORD} characters.</span>}
    </form>
  )
}
