import { createHash } from 'node:crypto'
import { readFileSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'

/** A running file watch. */
export interface ConfigWatch { close (): void }

/**
 * Calls `onChange` when the file's content changes. Watches the directory, not the file, so editors
 * that save by renaming and Kubernetes ConfigMaps that swap a symlink are followed too; events are
 * debounced and compared by content hash, so a touch or a burst of events is one reload or none.
 */
export function watchConfig (file: string, onChange: () => void, debounceMs = 100): ConfigWatch {
  const digest = (): string | undefined => {
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex')
    } catch {
      return undefined // mid-rename: the next event will tell
    }
  }
  let last = digest()
  let timer: NodeJS.Timeout | undefined
  const watcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== basename(file) && !name.startsWith('..')) return
    clearTimeout(timer)
    timer = setTimeout(() => {
      const now = digest()
      if (now === undefined || now === last) return
      last = now
      onChange()
    }, debounceMs)
  })
  return { close: () => { clearTimeout(timer); watcher.close() } }
}
