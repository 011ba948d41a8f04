/** What a failure of the exchange with the provider becomes (src/auth/oidc-failure.ts): never the provider's own text. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthorizationResponseError } from 'openid-client'
import { providerFailure } from '../../src/auth/oidc-failure.ts'

function providerError (error: string): AuthorizationResponseError {
  return new AuthorizationResponseError('authorization response from the server is an error',
    { cause: new URLSearchParams({ error, error_description: 'End-User aborted <b>interaction</b>' }) })
}

test('the provider\'s error on the return is ssoDenied, naming a registered OAuth code as it is', () => {
  const err = providerFailure(providerError('access_denied'))
  assert.equal(err.kind, 'ssoDenied')
  assert.equal(err.status, 403)
  assert.equal(err.message, 'the identity provider did not sign you in (access_denied)')
})

test('an error code that is not a plain OAuth code (markup, spaces, over 64 characters) is shown as `error`, never as sent', () => {
  for (const code of ['<script>alert(1)</script>', 'access denied', 'Access_Denied', 'a'.repeat(65), '']) {
    const err = providerFailure(providerError(code))
    assert.equal(err.kind, 'ssoDenied')
    assert.equal(err.message, 'the identity provider did not sign you in (error)', code)
  }
})
