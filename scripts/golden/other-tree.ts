import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Runs `fn` with `commit` checked out in a temporary git worktree of the repository at `repo`, sharing its
 * node_modules (as `npm run bench:compare` does); the worktree is removed afterwards, whatever happens.
 */
export async function withOtherTree<T> (repo: string, commit: string, fn: (root: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-golden-tree-'))
  const root = join(dir, 'tree')
  execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', root, commit], { stdio: 'ignore' })
  try {
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'))
    return await fn(root)
  } finally {
    execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', root], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
}
