/** Background deletion of minted tokens (src/mint/revoker.ts): back-off, a bounded number of tries, no duplicates. */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { createRevoker, MAX_ATTEMPTS } from '../../src/mint/revoker.ts'

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('a failing delete is retried after 0.5 s, 1 s, 2 s…, then left to the orphan sweep', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] })
  t.after(() => mock.timers.reset())
  const attempts: string[] = []
  const failures: boolean[] = []
  const revoker = createRevoker({
    remove: async (id) => { attempts.push(id); throw new Error('InfluxDB is unreachable') },
    onRevoked: () => assert.fail('never deleted'),
    onFailed: (_id, _ref, _err, final) => failures.push(final)
  })
  await revoker.revoke('a1', 'ref', 'sign-out')
  assert.equal(attempts.length, 1)
  await revoker.revoke('a1', 'ref', 'again') // already queued: not twice
  assert.equal(attempts.length, 1)
  for (let n = 0; n < MAX_ATTEMPTS - 1; n++) {
    const delay = 500 * 2 ** n
    mock.timers.tick(delay - 1)
    await settle()
    assert.equal(attempts.length, n + 1, `not before ${delay} ms`)
    mock.timers.tick(1)
    await settle()
    assert.equal(attempts.length, n + 2, `retry ${n + 1} after ${delay} ms`)
  }
  assert.deepEqual(failures, [...Array(MAX_ATTEMPTS - 1).fill(false), true])
  assert.equal(revoker.pending(), 0)
})

test('a retry that works reports the deletion once; close drops the retries not yet due', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] })
  t.after(() => mock.timers.reset())
  let fail = 1
  const revoked: string[] = []
  const revoker = createRevoker({
    remove: async () => { if (fail-- > 0) throw new Error('503'); return true },
    onRevoked: (id, _ref, reason) => revoked.push(`${id} ${reason}`),
    onFailed: () => {}
  })
  await revoker.revoke('a1', 'ref', 'expired')
  assert.equal(revoker.pending(), 1)
  mock.timers.tick(500)
  await settle()
  assert.deepEqual(revoked, ['a1 expired'])
  fail = 1
  await revoker.revoke('a2', 'ref', 'x')
  assert.equal(revoker.pending(), 1)
  revoker.close()
  assert.equal(revoker.pending(), 0)
  mock.timers.tick(10_000)
  await settle()
  assert.deepEqual(revoked, ['a1 expired'])
})
