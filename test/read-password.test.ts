import assert from 'node:assert/strict'
import { PassThrough, Readable } from 'node:stream'
import { test } from 'node:test'
import { readPassword } from '../src/read-password.ts'

test('the minimum counts characters, not bytes: 8 is enough, 7 is not', async () => {
  const read = (text: string, force = false): Promise<string> => readPassword(Readable.from([Buffer.from(`${text}\n`)]), new PassThrough(), { force })
  assert.equal(await read('12345678'), '12345678')
  assert.equal(await read('ääääääää'), 'ääääääää')
  await assert.rejects(read('1234567'), /too short \(7 characters\)/)
  await assert.rejects(read('🔑🔑🔑🔑🔑🔑🔑'), /too short \(7 characters\)/)
  await assert.rejects(read('secret7'), (err: Error) => !err.message.includes('secret7'), 'the password is not in the message')
  assert.equal(await read('1', true), '1')
  await assert.rejects(read('', true), /empty password/)
})
