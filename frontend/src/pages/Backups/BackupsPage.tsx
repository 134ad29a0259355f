/**
 * Backups (admin): the scheduled backups' settings and status, the verified copies on disk,
 * and "Back up now". Settings come from overlord.toml / OVERLORD_BACKUP_* (shown, not edited).
 */
import { useState } from 'react'
import { api, errorMessage } from '../../api/client'
import { useAuth } from '../../components/Auth'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { AsyncView, Empty } from '../../components/States'
import { formatDateTime, formatRelative } from '../../lib/format'
import type { BackupEntry, BackupStatus } from '../../api/types'

function mb(bytes: number | null): string {
  return bytes === null ? '—' : `${(bytes / 1_000_000).toFixed(1)} MB`
}

export default function BackupsPage() {
  useTitle('Backups')
  const { user } = useAuth()
  const data = useAsync((s) => api.request<{ status: BackupStatus; backups: BackupEntry[] }>('GET', '/api/admin/backups', { signal: s }), [])
  const now = useNow(30_000)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  if (user?.role !== 'admin') return <Empty>Only administrators can see backups.</Empty>

  const runNow = async () => {
    setBusy(true)
    setMessage(null)
    try {
      const r = await api.request<{ ok: boolean; backup?: BackupEntry; error?: string }>('POST', '/api/admin/backups/run', { timeoutMs: 3_600_000 })
      setMessage(r.ok ? { ok: true, text: `Backup ${r.backup?.name ?? ''} written and verified.` } : { ok: false, text: r.error ?? 'Backup failed.' })
      data.reload()
    } catch (e) {
      setMessage({ ok: false, text: errorMessage(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div>
      <PageHeader title="Backups" sub="Scheduled, verified with the restore-check checks, rotated" />
      <AsyncView state={data} loadingLabel="Loading backups…">
        {(d) => (
          <>
            <dl className="card kv" data-testid="backup-status">
              <dt>Schedule</dt>
              <dd>{d.status.enabled ? `${d.status.schedule} into ${d.status.backup_dir}, keeping ${d.status.keep}` : 'Off: set backup_dir and backup_schedule in overlord.toml'}</dd>
              <dt>Last success</dt>
              <dd>{d.status.last_success_ms ? `${formatRelative(d.status.last_success_ms, now)} (${mb(d.status.last_success_bytes)})` : 'none since start'}</dd>
              <dt>Last failure</dt>
              <dd>{d.status.last_failure_ms ? `${formatDateTime(d.status.last_failure_ms)}: ${d.status.last_error ?? ''}` : 'none since start'}</dd>
              <dt>Next run</dt>
              <dd>{d.status.next_run_ms ? formatDateTime(d.status.next_run_ms) : '—'}</dd>
            </dl>
            {d.status.enabled && (
              <button type="button" onClick={() => void runNow()} disabled={busy || d.status.running}>
                {busy || d.status.running ? 'Backing up…' : 'Back up now'}
              </button>
            )}
            {message && (
              <div className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
                {message.text}
              </div>
            )}
            {d.backups.length === 0 ? (
              <Empty>No backups yet.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="backups-table">
                  <thead>
                    <tr>
                      <th scope="col">Folder</th>
                      <th scope="col">Verified</th>
                      <th scope="col">Size</th>
                      <th scope="col">When</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.backups.map((b) => (
                      <tr key={b.name}>
                        <th scope="row" title={b.path}>
                          {b.name}
                        </th>
                        <td>{b.verified ? 'yes' : 'no (incomplete)'}</td>
                        <td>{mb(b.bytes)}</td>
                        <td>{b.created_ms ? formatDateTime(b.created_ms) : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </AsyncView>
    </div>
  )
}
