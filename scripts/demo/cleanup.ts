/** What `npm run demo` has started, stopped in reverse order. */
export interface Cleanup {
  /** Registers `fn` to run at {@link Cleanup.run}; the shape of a test's `t.after`, so test helpers take it. */
  after (fn: () => unknown): void
  /** Runs every registered function, last registered first, each once (one failing does not stop the rest). */
  run (): Promise<void>
}

/** An empty cleanup list. */
export function createCleanup (onError: (err: unknown) => void): Cleanup {
  const fns: Array<() => unknown> = []
  return {
    after: (fn) => { fns.push(fn) },
    async run () {
      for (let fn = fns.pop(); fn !== undefined; fn = fns.pop()) {
        try {
          await fn()
        } catch (err) {
          onError(err)
        }
      }
    }
  }
}
