import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWrk } from '../../../bench/lib/wrk.ts'

// What Debian's wrk 4.1.0 prints with --latency (the benchmark reads nothing else from it).
const REPORT = `Running 8s test @ http://127.0.0.1:40123/api/v2/buckets
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.37ms    9.12ms 112.40ms   81.22%
    Req/Sec     2.31k   201.53     2.71k    71.25%
  Latency Distribution
     50%   20.14ms
     75%   24.02ms
     90%   29.87ms
     99%    1.05s
  18342 requests in 8.01s, 6.01MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2289.84
Transfer/sec:    768.31KB
`

test('a wrk report is read in its own units, and any error or non-2xx answer is counted', () => {
  assert.deepEqual(parseWrk(REPORT), { requests: 18342, rps: 2289.84, p50: 20.14, p99: 1050, errors: 7 })
  const clean = REPORT.replace(/ {2}Socket errors.*\n {2}Non-2xx.*\n/, '').replace('20.14ms', '870.00us')
  assert.deepEqual(parseWrk(clean), { requests: 18342, rps: 2289.84, p50: 0.87, p99: 1050, errors: 0 })
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'), /unexpected output/)
})
