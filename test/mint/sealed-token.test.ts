/** Sealing a minted token for the session store (src/mint/sealed-token.ts): only the session id opens it. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sealToken, unsealToken } from '../../src/mint/sealed-token.ts'
import { newSessionId } from '../../src/session/session-id.ts'

const TOKEN = 'vXq1Zx0K7d3Jq-minted-token-value-Ab12=='

test('a sealed token opens with its session id and authorization, and with nothing else', () => {
  const id = newSessionId()
  const sealed = sealToken(id, 'auth-1', TOKEN)
  assert.equal(unsealToken(id, 'auth-1', sealed), TOKEN)
  assert.ok(!sealed.includes(TOKEN) && !Buffer.from(sealed, 'base64url').includes(Buffer.from(TOKEN)))
  assert.equal(unsealToken(newSessionId(), 'auth-1', sealed), undefined, 'another session id')
  assert.equal(unsealToken(id, 'auth-2', sealed), undefined, 'moved to another authorization')
  assert.notEqual(sealToken(id, 'auth-1', TOKEN), sealed, 'a fresh nonce each time')
})

test('a tampered or truncated seal is refused, never decrypted to something else', () => {
  const id = newSessionId()
  const bytes = Buffer.from(sealToken(id, 'a', TOKEN), 'base64url')
  for (let i = 0; i < bytes.length; i += 7) {
    const flipped = Buffer.from(bytes)
    flipped[i] = (flipped[i] as number) ^ 1
    assert.equal(unsealToken(id, 'a', flipped.toString('base64url')), undefined, `byte ${i}`)
  }
  assert.equal(unsealToken(id, 'a', bytes.subarray(0, 20).toString('base64url')), undefined)
  assert.equal(unsealToken(id, 'a', ''), undefined)
})
